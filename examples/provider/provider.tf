terraform {
  required_providers {
    pdbridge = {
      source = "pdbridge/pdbridge"
    }
  }
}

variable "pagerduty_token" {
  type      = string
  sensitive = true
}

variable "zenoss_password" {
  type      = string
  sensitive = true
}

variable "icinga_password" {
  type      = string
  sensitive = true
}

provider "pdbridge" {
  token      = var.pagerduty_token    # or PAGERDUTY_TOKEN
  user_email = "pdbridge@example.com" # the From of every write; or PAGERDUTY_USER_EMAIL
  # service_region = "eu"             # or PAGERDUTY_SERVICE_REGION

  retry = {
    max_retries = 4
    min_delay   = "500ms"
    max_delay   = "30s"
  }

  sources = {
    zenoss_prod = {
      kind      = "zenoss"
      url       = "https://zenoss.example.com"
      username  = "pdbridge"
      password  = var.zenoss_password # secrets stay in provider configuration, never in state
      time_zone = "Europe/Berlin"     # only Zenoss 4.x writes local times
    }
    icinga = {
      kind      = "icinga2"
      url       = "https://icinga.example.com:5665"
      username  = "pdbridge" # an ApiUser; the author of the sync's acknowledgements and comments
      password  = var.icinga_password
      ca_bundle = file("icinga-ca.crt") # Icinga's CA (/var/lib/icinga2/certs/ca.crt)
    }
    alertmanager = {
      kind = "alertmanager" # no credentials: Alertmanager has no auth of its own
      url  = "https://alertmanager.example.com:9093"
    }
  }
}
