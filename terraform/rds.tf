# PostgreSQL for the todos and, with Celery's database backend, for the job results: a worker on
# another machine can then report a calendar that the API serves (handout section 6).

resource "aws_db_instance" "database" {
  identifier        = "${var.name}-db"
  engine            = "postgres"
  engine_version    = "16"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_type      = "gp2"

  db_name  = var.db_name
  username = var.db_username
  password = var.db_password

  vpc_security_group_ids = [aws_security_group.taskoverflow["database"].id]
  # As in the course: reachable from outside the VPC if db_client_cidrs lets you in.
  publicly_accessible = true

  # A lab database: no snapshot on destroy, no backups to pay for.
  skip_final_snapshot     = true
  backup_retention_period = 0
  apply_immediately       = true
}
