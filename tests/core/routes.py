from tests.matrix import Route

LOGGED_IN = {"anonymous": 302, "*": 200}

ROUTES = {
    "home": Route("/", get=LOGGED_IN, post={"*": 405}),
    "healthz": Route("/healthz", get={"*": 200}, post={"*": 405}),
    # Onboarding is over once anyone exists: gone for everybody.
    "onboarding": Route("/onboarding/", get={"*": 404}, post={"*": 404}),
}
