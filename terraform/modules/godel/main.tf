# Deploys Godel onto an existing cluster: the namespace, the configuration, the secrets, and the
# objects of a rendered Kustomize overlay (Deployment, Service, Ingress, HPA, PDB, NetworkPolicy, PVC).

locals {
  documents = provider::kubernetes::manifest_decode_multi(file(var.manifests_path))
  # This module owns the namespace and the ConfigMap; the Secret never comes from a file.
  managed_kinds = ["Namespace", "ConfigMap", "Secret"]
  objects = {
    for d in local.documents : "${d.kind}/${d.metadata.name}" => d
    if !contains(local.managed_kinds, d.kind) && d.kind != "Deployment"
  }
  deployments = {
    for d in local.documents : "${d.kind}/${d.metadata.name}" => d
    if d.kind == "Deployment"
  }
}

resource "kubernetes_namespace_v1" "godel" {
  metadata {
    name = var.namespace
    labels = {
      "app.kubernetes.io/part-of"          = "godel"
      "pod-security.kubernetes.io/enforce" = "baseline"
    }
  }
}

resource "kubernetes_config_map_v1" "godel" {
  metadata {
    name      = "godel-config"
    namespace = kubernetes_namespace_v1.godel.metadata[0].name
  }
  data = {
    GODEL_HOST                  = "0.0.0.0"
    GODEL_PORT                  = "7373"
    GODEL_HOME                  = "/var/lib/godel"
    GODEL_LOG_LEVEL             = var.log_level
    GODEL_ROLES                 = "api,runtime"
    OTEL_SERVICE_NAME           = "godel"
    OTEL_EXPORTER_OTLP_ENDPOINT = var.otlp_endpoint
  }
}

resource "kubernetes_secret_v1" "godel" {
  metadata {
    name      = "godel-secrets"
    namespace = kubernetes_namespace_v1.godel.metadata[0].name
  }
  data = {
    REDIS_URL        = var.redis_url
    DATABASE_URL     = var.database_url
    GODEL_ADMIN_KEY  = var.admin_key
    GODEL_JWT_SECRET = var.jwt_secret
    GODEL_PROVIDERS  = var.providers_json
  }
}

resource "kubernetes_manifest" "objects" {
  for_each = local.objects
  manifest = merge(each.value, {
    metadata = merge(each.value.metadata, { namespace = kubernetes_namespace_v1.godel.metadata[0].name })
  })
}

# The Deployment with this module's image and replica count.
resource "kubernetes_manifest" "deployment" {
  for_each = local.deployments
  manifest = merge(each.value, {
    metadata = merge(each.value.metadata, { namespace = kubernetes_namespace_v1.godel.metadata[0].name })
    spec = merge(each.value.spec, {
      replicas = var.replicas
      template = merge(each.value.spec.template, {
        spec = merge(each.value.spec.template.spec, {
          containers = [for c in each.value.spec.template.spec.containers : merge(c, { image = var.image })]
        })
      })
    })
  })
  depends_on = [kubernetes_config_map_v1.godel, kubernetes_secret_v1.godel]
}
