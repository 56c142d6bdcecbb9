data "pdbridge_service" "db" {
  name = "Databases"
}

output "db_in_maintenance" {
  value = data.pdbridge_service.db.in_maintenance
}

output "db_status" {
  value = data.pdbridge_service.db.status # active, warning, critical, maintenance or disabled
}
