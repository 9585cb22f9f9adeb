#!/usr/bin/env bash
# Deploys aircall-entra-sso to Azure: the Bicep template (infra/bicep/main.bicep),
# then the app package (app.zip from `make package`) by zip deploy to the Flex
# Consumption app. `make deploy` builds the package and runs this script.
set -euo pipefail

cd "$(dirname "$0")/.."

MIN_BICEP=0.36.1 # the Microsoft Graph Bicep extension (modules/graph-permissions.bicep) needs it

usage() {
  cat <<'USAGE'
usage: infra/deploy.sh [-g RESOURCE_GROUP] [-l LOCATION] [-p PARAMETERS_FILE] [-z APP_ZIP]
                       [--grant-graph] [--infra-only | --code-only]

Needs the Azure CLI signed in (az login) to the subscription to deploy to, with
Owner (or Contributor + Role Based Access Control Administrator) on the
resource group: the template assigns roles to the app's managed identity.

  -g, --resource-group  resource group, created when missing  (env AZURE_RESOURCE_GROUP)
  -l, --location        region, needed only to create the group; it must offer
                        Flex Consumption (az functionapp list-flexconsumption-locations)
                                                              (env AZURE_LOCATION)
  -p, --parameters      Bicep parameters file      (env PARAMETERS_FILE,
                        default infra/bicep/main.parameters.json; start from
                        infra/bicep/main.parameters.example.json)
  -z, --zip             package to deploy          (env APP_ZIP, default app.zip)
      --grant-graph     also grant the Microsoft Graph application permissions
                        in the deployment (admin consent: needs a Privileged Role
                        Administrator or Global Administrator); without it, run
                        infra/grant-graph-permissions.sh as one afterwards
                                                              (env GRANT_GRAPH=true)
      --infra-only      deploy the template only
      --code-only       zip deploy only (the template was deployed before)

Examples:
  make deploy AZURE_RESOURCE_GROUP=rg-aircall-sso AZURE_LOCATION=westeurope
  infra/deploy.sh -g rg-aircall-sso -l westeurope --grant-graph
USAGE
}

die() {
  echo "deploy: $*" >&2
  exit 1
}

group=${AZURE_RESOURCE_GROUP:-}
location=${AZURE_LOCATION:-}
params=${PARAMETERS_FILE:-infra/bicep/main.parameters.json}
zip=${APP_ZIP:-app.zip}
grant=${GRANT_GRAPH:-false}
infra=true
code=true
while [[ $# -gt 0 ]]; do
  case "$1" in
    -g | --resource-group) group=${2:?$1 needs a value}; shift 2 ;;
    -l | --location) location=${2:?$1 needs a value}; shift 2 ;;
    -p | --parameters) params=${2:?$1 needs a value}; shift 2 ;;
    -z | --zip) zip=${2:?$1 needs a value}; shift 2 ;;
    --grant-graph) grant=true; shift ;;
    --infra-only) code=false; shift ;;
    --code-only) infra=false; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument $1" ;;
  esac
done

[[ -n "$group" ]] || { usage >&2; die "give the resource group: -g NAME or AZURE_RESOURCE_GROUP=NAME"; }
command -v az >/dev/null || die "the Azure CLI (az) is not installed: https://learn.microsoft.com/cli/azure/install-azure-cli"
az account show --output none 2>/dev/null || die "the Azure CLI is not signed in: run az login (and az account set --subscription ...)"

deployment=aircall-entra-sso
PROVIDERS=(Microsoft.App Microsoft.Web Microsoft.Storage Microsoft.ServiceBus Microsoft.KeyVault Microsoft.Insights Microsoft.OperationalInsights)

output() { # output NAME: one output of the last template deployment
  az deployment group show -g "$group" -n "$deployment" --query "properties.outputs.$1.value" -o tsv
}

if $infra; then
  [[ -f "$params" ]] || die "no parameters file $params: cp infra/bicep/main.parameters.example.json $params and edit it"

  bicep_version=$(az bicep version 2>/dev/null | sed -n 's/.*version \([0-9][0-9.]*\).*/\1/p' | head -n1)
  if [[ -z "$bicep_version" ]]; then
    az bicep install --only-show-errors
  elif [[ "$(printf '%s\n%s\n' "$MIN_BICEP" "$bicep_version" | sort -V | head -n1)" != "$MIN_BICEP" ]]; then
    die "Bicep CLI $bicep_version is older than $MIN_BICEP (needed by the Microsoft Graph extension): run az bicep upgrade"
  fi

  # Flex Consumption needs both resource providers registered in the subscription
  # (Microsoft.App as well as Microsoft.Web); the others are the template's own types.
  # Registering is idempotent and a no-op when already registered.
  for ns in "${PROVIDERS[@]}"; do
    state=$(az provider show --namespace "$ns" --query registrationState -o tsv 2>/dev/null || true)
    if [[ "$state" != Registered ]]; then
      echo "registering resource provider $ns (once per subscription)"
      az provider register --namespace "$ns" --wait --output none || die "could not register resource provider $ns: it needs a subscription Contributor or Owner"
    fi
  done

  if [[ "$(az group exists -n "$group")" != true ]]; then
    [[ -n "$location" ]] || die "resource group $group does not exist: give a region to create it in (-l or AZURE_LOCATION)"
    echo "creating resource group $group in $location"
    az group create -n "$group" -l "$location" --tags app=aircall-entra-sso --output none
  fi

  extra=()
  if [[ "$grant" == true ]]; then
    extra+=(grantGraphPermissions=true)
  fi
  # A signed-in user becomes Key Vault Secrets Officer so they can create the webhook secrets.
  if [[ "$(az account show --query user.type -o tsv)" == user ]]; then
    me=$(az ad signed-in-user show --query id -o tsv 2>/dev/null || true)
    if [[ -n "$me" ]]; then
      extra+=(secretsOfficerPrincipalId="$me")
    fi
  fi

  deploy_template() {
    az deployment group create -g "$group" -n "$deployment" \
      --template-file infra/bicep/main.bicep \
      --parameters "@$params" ${extra[@]+"${extra[@]}"} \
      --output none 2> >(tee "$errlog" >&2)
  }
  errlog=$(mktemp)
  trap 'rm -f "$errlog"' EXIT
  echo "deploying infra/bicep/main.bicep to $group (a few minutes)"
  if ! deploy_template; then
    # A managed identity created by this deployment can take a while to
    # replicate to Microsoft Graph, so the Graph extension's appRoleAssignedTo
    # grant may not find it yet ("does not exist or one of its queried reference-
    # property objects are not present"): Microsoft documents this replication
    # delay; wait and deploy once more (the template is idempotent).
    if [[ "$grant" == true ]] && grep -qiE "Request_ResourceNotFound|does not exist or one of its queried reference|PrincipalNotFound" "$errlog"; then
      echo "the new identity has not reached Microsoft Graph yet; retrying once in ${REPLICATION_WAIT:-60} s"
      sleep "${REPLICATION_WAIT:-60}"
      deploy_template || die "deployment failed twice: see the errors above"
    else
      die "deployment failed: see the errors above"
    fi
  fi
fi

app=$(output functionAppName) || die "no deployment $deployment in $group: deploy the template first (without --code-only)"

if $code; then
  [[ -f "$zip" ]] || die "no package $zip: run make package first"
  echo "zip deploy of $zip to $app"
  # A fresh role assignment on the deployment container can take a few minutes to apply.
  for attempt in 1 2 3 4 5; do
    if az functionapp deployment source config-zip -g "$group" -n "$app" --src "$zip" --output none; then
      break
    fi
    [[ $attempt -lt 5 ]] || die "zip deploy failed 5 times: see the Deployment Center logs of $app or the Flex Consumption Deployment diagnostic in the portal"
    echo "zip deploy failed (attempt $attempt), retrying in 30 s"
    sleep "${RETRY_SLEEP:-30}"
  done
fi

host=$(output defaultHostName)
vault=$(output keyVaultName)
principal=$(output principalId)
granted=$(output graphPermissionsGranted)

echo
echo "Function App $app is at https://$host"
echo "Functions:"
az functionapp function list -g "$group" -n "$app" \
  --query "[].{function: name, url: invokeUrlTemplate}" -o table 2>/dev/null ||
  echo "  (not listed yet: az functionapp function list -g $group -n $app)"

cat <<NEXT

Function keys (never paste them into tickets or logs):
  az functionapp function keys list -g $group -n $app --function-name metadata --query default -o tsv
  az functionapp function keys list -g $group -n $app --function-name webhook --query default -o tsv
  az functionapp keys list -g $group -n $app          # host keys

For Aircall (docs/deploy.md, hand-off):
  $(output metadataUrl)?code=<metadata key>
  $(output metadataXmlUrl)&code=<metadata key>
NEXT

if [[ "$(tr '[:upper:]' '[:lower:]' <<<"$granted")" != true ]]; then
  cat <<GRANT

Microsoft Graph permissions were NOT granted by this deployment. As a Privileged
Role Administrator or Global Administrator, run once:
  infra/grant-graph-permissions.sh $principal
GRANT
fi

cat <<SECRETS

Webhook secrets (one per source listed in webhookSources), then restart the app:
  az keyvault secret set --vault-name $vault --name webhook-<source> --value '<secret>'
  az functionapp restart -g $group -n $app
SECRETS
