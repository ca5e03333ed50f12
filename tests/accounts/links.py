"""The one-time links Settings → Users makes: shown once on the user's page after the POST's
redirect."""


def shown_link(client, response) -> str:
    """Follows the redirect of a POST that made a link and returns the link's address."""
    assert response.status_code == 302, response.content.decode()[:500]
    page = client.get(response["Location"])
    assert page.status_code == 200
    return page.context["shown_link"]["url"]
