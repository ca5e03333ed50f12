"""Start-up checks of the providers' settings that a mistake would turn into a hole.

Plain functions of plain values, each returning the sentence that stops start-up (naming the
variable) or None: homeportal/auth_settings.py runs them on the environment, and the accounts
app runs them again on the final settings, so a settings module of one's own cannot skip them.
"""

from urllib.parse import urlsplit

from homeportal.net import parse_address

# The widest networks a reverse proxy may be trusted from without AUTH_PROXY_ALLOW_WIDE_NETWORKS.
WIDEST_PREFIX = {4: 24, 6: 64}
MIN_PROXY_SECRET_LENGTH = 16


def is_loopback_host(host: str | None) -> bool:
    host = (host or "").strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    address = parse_address(host)
    return address is not None and address.is_loopback


def ldap_insecure(uri: str, start_tls: bool, require_cert: str) -> str | None:
    """Why this LDAP configuration exposes passwords, or None."""
    scheme = urlsplit(uri).scheme
    if scheme == "ldap" and not start_tls:
        return (
            "AUTH_LDAP_URI is a plain ldap:// URL and AUTH_LDAP_START_TLS is off, so passwords "
            "would travel to the directory unencrypted. Use ldaps:// or set "
            "AUTH_LDAP_START_TLS=true; to run like this anyway, set AUTH_LDAP_ALLOW_INSECURE=true."
        )
    if require_cert in ("never", "allow"):
        return (
            f"AUTH_LDAP_TLS_REQUIRE_CERT={require_cert} does not check the directory's "
            "certificate, so anybody in between could read the passwords. Give the directory's "
            "CA with AUTH_LDAP_TLS_CA_FILE and keep the default, demand; to run like this "
            "anyway, set AUTH_LDAP_ALLOW_INSECURE=true."
        )
    return None


def oidc_insecure(issuer: str) -> str | None:
    """Why this OIDC issuer exposes the client secret and tokens, or None."""
    parts = urlsplit(issuer)
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return (
            f"AUTH_OIDC_ISSUER {issuer!r} is a plain http:// URL outside this machine, so the "
            "client secret and the tokens would travel unencrypted. Use the provider's https:// "
            "address; to run like this anyway, set AUTH_OIDC_ALLOW_INSECURE=true."
        )
    return None


def proxy_network_refusal(networks, allow_wide: bool) -> str | None:
    """Why these trusted proxy networks are refused, or None."""
    for network in networks:
        if network.prefixlen == 0:
            return (
                f"AUTH_PROXY_TRUSTED_NETWORKS must not contain {network}: that trusts every "
                "address on the Internet to say who is logged in."
            )
        widest = WIDEST_PREFIX[network.version]
        if network.prefixlen < widest and not allow_wide:
            return (
                f"AUTH_PROXY_TRUSTED_NETWORKS contains {network}, wider than /{widest}: every "
                "machine in it could say who is logged in. Name the reverse proxy's own address "
                f"(a single host, or a /{widest} at most); to trust the whole network anyway, "
                "set AUTH_PROXY_ALLOW_WIDE_NETWORKS=true."
            )
    return None


def proxy_secret_refusal(secret: str) -> str | None:
    if secret and len(secret) < MIN_PROXY_SECRET_LENGTH:
        return (
            f"AUTH_PROXY_SECRET must be at least {MIN_PROXY_SECRET_LENGTH} characters long "
            "(a random string the reverse proxy sends in AUTH_PROXY_SECRET_HEADER)."
        )
    return None


def provider_refusals(settings) -> list[str]:
    """Every refusal for the providers listed in settings.AUTH_PROVIDERS."""
    providers = settings.AUTH_PROVIDERS
    refusals = []
    if "ldap" in providers and not settings.AUTH_LDAP_ALLOW_INSECURE:
        refusals.append(
            ldap_insecure(
                settings.AUTH_LDAP_URI,
                settings.AUTH_LDAP_START_TLS,
                settings.AUTH_LDAP_TLS_REQUIRE_CERT,
            )
        )
    if "oidc" in providers and not settings.AUTH_OIDC_ALLOW_INSECURE:
        refusals.append(oidc_insecure(settings.AUTH_OIDC_ISSUER))
    if "proxy" in providers:
        refusals.append(
            proxy_network_refusal(
                settings.AUTH_PROXY_TRUSTED_NETWORKS, settings.AUTH_PROXY_ALLOW_WIDE_NETWORKS
            )
        )
        refusals.append(proxy_secret_refusal(settings.AUTH_PROXY_SECRET))
    return [refusal for refusal in refusals if refusal]
