# Godel on AWS: a VPC, EKS, ElastiCache Redis, RDS PostgreSQL and the generated secrets (kept in
# Secrets Manager), then the Godel module on the cluster.

data "aws_availability_zones" "available" {
  state = "available"
}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, 3)
}

module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "~> 5.16"

  name               = var.name
  cidr               = var.vpc_cidr
  azs                = local.azs
  private_subnets    = [for i, _ in local.azs : cidrsubnet(var.vpc_cidr, 4, i)]
  public_subnets     = [for i, _ in local.azs : cidrsubnet(var.vpc_cidr, 8, 48 + i)]
  enable_nat_gateway = true
  single_nat_gateway = false

  public_subnet_tags  = { "kubernetes.io/role/elb" = 1 }
  private_subnet_tags = { "kubernetes.io/role/internal-elb" = 1 }
}

module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 20.31"

  cluster_name                             = var.name
  cluster_version                          = var.kubernetes_version
  vpc_id                                   = module.vpc.vpc_id
  subnet_ids                               = module.vpc.private_subnets
  cluster_endpoint_public_access           = true
  enable_cluster_creator_admin_permissions = true

  eks_managed_node_groups = {
    default = {
      instance_types = [var.node_instance_type]
      min_size       = var.node_count.min
      desired_size   = var.node_count.desired
      max_size       = var.node_count.max
    }
  }
}

# ---- secrets (generated, never in variables or files) ------------------------------------------

resource "random_password" "admin_key" {
  length  = 48
  special = false
}

resource "random_password" "jwt_secret" {
  length  = 48
  special = false
}

resource "random_password" "db" {
  length  = 32
  special = false
}

resource "random_password" "redis" {
  length  = 40
  special = false
}

resource "aws_secretsmanager_secret" "godel" {
  name        = "${var.name}/godel"
  description = "Godel: bootstrap admin key, JWT secret, Redis and PostgreSQL URLs"
}

resource "aws_secretsmanager_secret_version" "godel" {
  secret_id = aws_secretsmanager_secret.godel.id
  secret_string = jsonencode({
    GODEL_ADMIN_KEY  = random_password.admin_key.result
    GODEL_JWT_SECRET = random_password.jwt_secret.result
    REDIS_URL        = local.redis_url
    DATABASE_URL     = local.database_url
  })
}

# ---- Redis (ElastiCache) -----------------------------------------------------------------------

resource "aws_security_group" "data" {
  name        = "${var.name}-data"
  description = "Redis and PostgreSQL, reachable from inside the VPC only"
  vpc_id      = module.vpc.vpc_id

  ingress {
    description = "Redis"
    from_port   = 6379
    to_port     = 6379
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }

  ingress {
    description = "PostgreSQL"
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }
}

resource "aws_elasticache_subnet_group" "redis" {
  name       = "${var.name}-redis"
  subnet_ids = module.vpc.private_subnets
}

resource "aws_elasticache_replication_group" "redis" {
  replication_group_id       = "${var.name}-redis"
  description                = "Godel mailboxes, leases, membership, BullMQ"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = var.redis_node_type
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = true
  port                       = 6379
  subnet_group_name          = aws_elasticache_subnet_group.redis.name
  security_group_ids         = [aws_security_group.data.id]
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  auth_token                 = random_password.redis.result
  # Mailboxes live here: a replica in another zone with automatic failover (durable state is in PostgreSQL).
  parameter_group_name = "default.redis7"
}

# ---- PostgreSQL (RDS) --------------------------------------------------------------------------

resource "aws_db_subnet_group" "pg" {
  name       = "${var.name}-pg"
  subnet_ids = module.vpc.private_subnets
}

resource "aws_db_instance" "pg" {
  identifier                   = "${var.name}-pg"
  engine                       = "postgres"
  engine_version               = "17"
  instance_class               = var.db_instance_class
  allocated_storage            = var.db_allocated_storage_gb
  max_allocated_storage        = var.db_allocated_storage_gb * 4
  storage_encrypted            = true
  db_name                      = "godel"
  username                     = "godel"
  password                     = random_password.db.result
  db_subnet_group_name         = aws_db_subnet_group.pg.name
  vpc_security_group_ids       = [aws_security_group.data.id]
  multi_az                     = true
  backup_retention_period      = 7
  deletion_protection          = true
  skip_final_snapshot          = false
  final_snapshot_identifier    = "${var.name}-pg-final"
  performance_insights_enabled = true
}

locals {
  redis_url    = "rediss://:${random_password.redis.result}@${aws_elasticache_replication_group.redis.primary_endpoint_address}:6379"
  database_url = "postgres://godel:${random_password.db.result}@${aws_db_instance.pg.address}:5432/godel?sslmode=require"
}

# ---- Godel on the cluster ----------------------------------------------------------------------

module "godel" {
  source = "../modules/godel"

  namespace      = "godel"
  manifests_path = var.manifests_path
  image          = var.image
  replicas       = var.replicas
  log_level      = "info"
  otlp_endpoint  = var.otlp_endpoint
  redis_url      = local.redis_url
  database_url   = local.database_url
  admin_key      = random_password.admin_key.result
  jwt_secret     = random_password.jwt_secret.result
  providers_json = var.providers_json

  depends_on = [module.eks]
}
