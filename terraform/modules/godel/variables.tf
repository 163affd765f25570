variable "namespace" {
  type        = string
  description = "Kubernetes namespace Godel runs in (created by this module)."
  default     = "godel"
}

variable "manifests_path" {
  type        = string
  description = "File holding the rendered Kustomize overlay (`kubectl kustomize deploy/k8s/overlays/prod > godel.yaml`). Its Namespace and ConfigMap are replaced by this module's."
}

variable "image" {
  type        = string
  description = "Container image with a pinned tag or digest, e.g. registry.example.com/godel/godel:0.1.0 (never latest)."
  validation {
    condition     = can(regex("^[^:@]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$", var.image)) && !endswith(var.image, ":latest")
    error_message = "image must carry a pinned tag or digest, not latest."
  }
}

variable "replicas" {
  type        = number
  description = "Godel server replicas (the HPA may add more)."
  default     = 3
}

variable "log_level" {
  type        = string
  description = "GODEL_LOG_LEVEL: debug, info, warn or error."
  default     = "info"
}

variable "otlp_endpoint" {
  type        = string
  description = "OTEL_EXPORTER_OTLP_ENDPOINT for traces (OTLP/HTTP base URL); empty = tracing off."
  default     = ""
}

variable "redis_url" {
  type        = string
  description = "REDIS_URL (rediss:// with TLS and AUTH for a managed Redis). Stored in the godel-secrets Secret."
  sensitive   = true
}

variable "database_url" {
  type        = string
  description = "DATABASE_URL of the PostgreSQL database. Stored in the godel-secrets Secret."
  sensitive   = true
}

variable "admin_key" {
  type        = string
  description = "GODEL_ADMIN_KEY, the bootstrap admin API key (32+ random characters). Stored in the godel-secrets Secret."
  sensitive   = true
  validation {
    condition     = length(var.admin_key) >= 32
    error_message = "admin_key must be at least 32 characters."
  }
}

variable "jwt_secret" {
  type        = string
  description = "GODEL_JWT_SECRET, the access-token signing secret shared by every replica (32+ random characters)."
  sensitive   = true
  validation {
    condition     = length(var.jwt_secret) >= 32
    error_message = "jwt_secret must be at least 32 characters."
  }
}

variable "providers_json" {
  type        = string
  description = "GODEL_PROVIDERS, the JSON list of model providers (may name API keys); empty = the offline scripted model."
  sensitive   = true
  default     = ""
}
