output "cluster_name" {
  description = "EKS cluster name (`aws eks update-kubeconfig --name <it>`)."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "EKS API server endpoint."
  value       = module.eks.cluster_endpoint
}

output "redis_endpoint" {
  description = "ElastiCache primary endpoint (TLS, AUTH token in the Secrets Manager secret)."
  value       = aws_elasticache_replication_group.redis.primary_endpoint_address
}

output "database_endpoint" {
  description = "RDS PostgreSQL address."
  value       = aws_db_instance.pg.address
}

output "secrets_manager_arn" {
  description = "Secrets Manager secret with GODEL_ADMIN_KEY, GODEL_JWT_SECRET, REDIS_URL and DATABASE_URL."
  value       = aws_secretsmanager_secret.godel.arn
}

output "namespace" {
  description = "Kubernetes namespace of the Godel deployment."
  value       = module.godel.namespace
}

output "service_name" {
  description = "Godel's ClusterIP Service (behind the Ingress)."
  value       = module.godel.service_name
}
