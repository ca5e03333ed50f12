from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from homeportal import auth_checks

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        # homeportal/auth_settings.py refuses this already; a settings module of one's own
        # that skips it must not get a proxy login that trusts every address either.
        if "proxy" in settings.AUTH_PROVIDERS and not settings.AUTH_PROXY_TRUSTED_NETWORKS:
            raise ImproperlyConfigured(
                "AUTH_PROVIDERS lists proxy, so AUTH_PROXY_TRUSTED_NETWORKS must name the "
                "reverse proxy's addresses."
            )
        # The same start-up refusals as homeportal/auth_settings.py, on the final settings.
        for refusal in auth_checks.provider_refusals(settings):
            raise ImproperlyConfigured(refusal)
        checks.register(provider_checks, checks.Tags.security)


def provider_checks(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    providers = settings.AUTH_PROVIDERS
    if "proxy" in providers and not settings.AUTH_LOGOUT_REDIRECT_URL:
        messages.append(
            checks.Warning(
                "The proxy provider is on but AUTH_LOGOUT_REDIRECT_URL is not set: logging out "
                "ends homeportal's session only, and the proxy logs the person in again.",
                hint="Set AUTH_LOGOUT_REDIRECT_URL to your proxy's logout URL.",
                id="accounts.W001",
            )
        )
    issuer = urlsplit(settings.AUTH_OIDC_ISSUER)
    if "oidc" in providers and issuer.scheme == "http" and issuer.hostname not in LOOPBACK_HOSTS:
        messages.append(
            checks.Warning(
                "AUTH_OIDC_ISSUER is a plain http:// URL: tokens and the client secret travel "
                "unencrypted.",
                hint="Use the provider's https:// address.",
                id="accounts.W002",
            )
        )
    ldap_uri = urlsplit(settings.AUTH_LDAP_URI)
    if (
        "ldap" in providers
        and ldap_uri.scheme == "ldap"
        and not settings.AUTH_LDAP_START_TLS
        and ldap_uri.hostname not in LOOPBACK_HOSTS
    ):
        messages.append(
            checks.Warning(
                "AUTH_LDAP_URI is a plain ldap:// URL without AUTH_LDAP_START_TLS: "
                "passwords travel unencrypted.",
                hint="Use ldaps:// or set AUTH_LDAP_START_TLS=true.",
                id="accounts.W003",
            )
        )
    if "ldap" in providers and settings.AUTH_LDAP_TLS_REQUIRE_CERT in ("never", "allow"):
        messages.append(
            checks.Warning(
                "AUTH_LDAP_TLS_REQUIRE_CERT does not check the directory's certificate.",
                hint="Give the CA with AUTH_LDAP_TLS_CA_FILE and keep the default, demand.",
                id="accounts.W004",
            )
        )
    return messages
