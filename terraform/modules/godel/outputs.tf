output "namespace" {
  description = "Namespace Godel runs in."
  value       = kubernetes_namespace_v1.godel.metadata[0].name
}

output "service_name" {
  description = "ClusterIP Service in front of the Godel replicas (port 80 → 7373)."
  value       = "godel"
}

output "secret_name" {
  description = "Secret holding REDIS_URL, DATABASE_URL, GODEL_ADMIN_KEY, GODEL_JWT_SECRET and GODEL_PROVIDERS."
  value       = kubernetes_secret_v1.godel.metadata[0].name
}

output "objects" {
  description = "Kubernetes objects applied from the rendered overlay, as kind/name."
  value       = sort(concat(keys(kubernetes_manifest.objects), keys(kubernetes_manifest.deployment)))
}
