#!/usr/bin/env bash
# Grants the Microsoft Graph application permissions aircall-entra-sso needs to
# the Function App's managed identity, with the Azure CLI (az rest). Use it when
# the Bicep deployment ran with grantGraphPermissions=false, typically because
# the deploying identity (CI) must not be able to grant admin consent.
#
# Granting an application permission is admin consent: run this signed in
# (az login) as a Privileged Role Administrator or Global Administrator of the
# tenant. It is idempotent: permissions already granted are left alone.
set -euo pipefail

GRAPH_APP_ID=00000003-0000-0000-c000-000000000000
GRAPH_URL=${GRAPH_URL:-https://graph.microsoft.com}
# The default: reads, plus writes on the app the identity owns. No tier-0
# permission (docs/security.md; infra/infra_test.go checks this list against
# main.bicep's graphAppRoles, README and docs/security.md).
PERMISSIONS=(
  Application.ReadWrite.OwnedBy
  Application.Read.All
  Policy.Read.All
  User.Read.All
  GroupMember.Read.All
)
# --privileged (opt-in, risky: see README "Permissions"): HTTP provision may
# then apply the claims policy, owner and assignment steps itself. Matches
# main.bicep's graphPrivilegedAppRoles.
PRIVILEGED_PERMISSIONS=(
  Policy.ReadWrite.ApplicationConfiguration
  AppRoleAssignment.ReadWrite.All
  Application.ReadWrite.All
  Directory.Read.All
)

usage() {
  cat <<USAGE
usage: infra/grant-graph-permissions.sh [--privileged] PRINCIPAL_OBJECT_ID
       infra/grant-graph-permissions.sh [--privileged] -g RESOURCE_GROUP -n FUNCTION_APP

Grants these Microsoft Graph application permissions to the managed identity
(service principal object id PRINCIPAL_OBJECT_ID, or the Function App's
system-assigned identity):
$(printf '  %s\n' "${PERMISSIONS[@]}")

--privileged also grants (opt-in; any code running as the app could then
grant itself any permission — README, "Permissions"; set GRAPH_PRIVILEGED=true):
$(printf '  %s\n' "${PRIVILEGED_PERMISSIONS[@]}")

Needs: az login as a Privileged Role Administrator or Global Administrator.
Env: GRAPH_URL (default https://graph.microsoft.com) for other clouds.
USAGE
}

principal=""
group=""
app=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -g | --resource-group) group=${2:?-g needs a value}; shift 2 ;;
    -n | --name) app=${2:?-n needs a value}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    --privileged) PERMISSIONS+=("${PRIVILEGED_PERMISSIONS[@]}"); shift ;;
    -*) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
    *) principal=$1; shift ;;
  esac
done

if [[ -z "$principal" ]]; then
  if [[ -z "$group" || -z "$app" ]]; then
    usage >&2
    exit 2
  fi
  principal=$(az functionapp identity show -g "$group" -n "$app" --query principalId -o tsv)
  if [[ -z "$principal" ]]; then
    echo "Function App $app in $group has no system-assigned identity: deploy infra/bicep first." >&2
    exit 1
  fi
fi

graph_sp=$(az ad sp show --id "$GRAPH_APP_ID" --query id -o tsv)

# appRoles of Microsoft Graph that apps (not users) can hold: "id<TAB>value" lines.
roles=$(az ad sp show --id "$GRAPH_APP_ID" \
  --query "appRoles[?contains(allowedMemberTypes, 'Application')].[id, value]" -o tsv)

existing=$(az rest --method GET \
  --uri "$GRAPH_URL/v1.0/servicePrincipals/$principal/appRoleAssignments" \
  --query "value[?resourceId=='$graph_sp'].appRoleId" -o tsv)

failed=0
for perm in "${PERMISSIONS[@]}"; do
  role_id=$(awk -F '\t' -v p="$perm" '$2 == p { print $1 }' <<<"$roles")
  if [[ -z "$role_id" ]]; then
    echo "Microsoft Graph has no application permission named $perm" >&2
    failed=1
    continue
  fi
  if grep -qx "$role_id" <<<"$existing"; then
    echo "already granted: $perm"
    continue
  fi
  body=$(printf '{"principalId":"%s","resourceId":"%s","appRoleId":"%s"}' "$principal" "$graph_sp" "$role_id")
  if az rest --method POST \
    --uri "$GRAPH_URL/v1.0/servicePrincipals/$principal/appRoleAssignments" \
    --headers "Content-Type=application/json" --body "$body" --output none; then
    echo "granted: $perm"
  else
    echo "could not grant $perm: are you signed in as a Privileged Role Administrator or Global Administrator?" >&2
    failed=1
  fi
done
exit "$failed"
