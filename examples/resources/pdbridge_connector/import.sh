# A connector is imported by SERVICE_ID/INTEGRATION_ID, both from the
# integration's URL in PagerDuty (…/services/PSVC123/integrations/PINT456).
# Its source_kind comes from the integration's vendor (generic without one).
terraform import pdbridge_connector.unix PSVC123/PINT456
