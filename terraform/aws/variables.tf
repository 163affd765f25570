variable "region" {
  type        = string
  description = "AWS region, e.g. eu-central-1."
}

variable "name" {
  type        = string
  description = "Name prefix of every resource (EKS cluster, Redis, database, secrets)."
  default     = "godel"
}

variable "vpc_cidr" {
  type        = string
  description = "CIDR of the VPC; deploy/k8s/overlays/prod lets Godel reach Redis and PostgreSQL only inside it."
  default     = "10.20.0.0/16"
}

variable "kubernetes_version" {
  type        = string
  description = "EKS Kubernetes version."
  default     = "1.31"
}

variable "node_instance_type" {
  type        = string
  description = "EC2 instance type of the EKS managed node group."
  default     = "m6i.xlarge"
}

variable "node_count" {
  type        = object({ min = number, desired = number, max = number })
  description = "Size of the EKS managed node group."
  default     = { min = 3, desired = 3, max = 6 }
}

variable "redis_node_type" {
  type        = string
  description = "ElastiCache node type (Redis 7, TLS and AUTH on, one replica)."
  default     = "cache.t4g.medium"
}

variable "db_instance_class" {
  type        = string
  description = "RDS PostgreSQL instance class."
  default     = "db.t4g.large"
}

variable "db_allocated_storage_gb" {
  type        = number
  description = "RDS storage in GiB (encrypted, grows up to 4x)."
  default     = 50
}

variable "image" {
  type        = string
  description = "Godel container image with a pinned tag or digest (never latest)."
}

variable "manifests_path" {
  type        = string
  description = "Rendered prod overlay: `kubectl kustomize deploy/k8s/overlays/prod > godel.yaml`."
}

variable "replicas" {
  type        = number
  description = "Godel server replicas."
  default     = 3
}

variable "otlp_endpoint" {
  type        = string
  description = "OTLP/HTTP endpoint for traces (empty = tracing off)."
  default     = ""
}

variable "providers_json" {
  type        = string
  description = "GODEL_PROVIDERS JSON (model providers and their keys); empty = offline scripted model. Pass it with TF_VAR_providers_json, never in a file under version control."
  sensitive   = true
  default     = ""
}
