// A real OpenID provider (panva's oidc-provider) for homeportal's tests.
//
// Usage: node server.js CONFIG.json [--port N]
//
// Listens on 127.0.0.1 only. Port 0 (the default, or OIDC_PORT from the
// environment) picks a random free port. When ready it prints one JSON line on
// stdout: {"issuer": "http://127.0.0.1:PORT", "port": PORT}. Everything else
// goes to stderr.
//
// CONFIG.json:
//   {
//     "clients": [{"client_id", "client_secret", "redirect_uris": [...],
//                  "post_logout_redirect_uris": [...],
//                  "token_endpoint_auth_method": "client_secret_post"}],
//     "accounts": [{"username", "password", "sub", "email", "name",
//                   "groups": [...], "email_verified": true}],
//     "front_host": "127.0.0.2"   (optional)
//   }
//
// With front_host, a second listener on that address (random port) serves the same
// provider, and the discovery document puts the endpoints a browser visits
// (authorization, end_session) there while the issuer and the token, userinfo and
// JWKS endpoints stay on 127.0.0.1: endpoints on another origin than the issuer, as
// AWS Cognito has them. The ready line then also carries "front_origin".
//
// Accounts' claims are read from CONFIG.json at every use, so a test can change
// someone's groups at the provider while it runs.
//
// Differences from oidc-provider's development defaults:
// - a login form that checks the account's password (wrong password: the form
//   is shown again with an error, nobody is logged in);
// - consent is granted automatically for the configured clients;
// - PKCE (S256) is required for every client;
// - email, name, preferred_username and groups are in the ID token as well as
//   in userinfo (scopes: openid email profile groups);
// - cookie names start with "op_" so they never clash with Django's cookies
//   (cookies are not scoped by port);
// - no page loads anything from outside the machine.

import { randomBytes, generateKeyPairSync, timingSafeEqual, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const HOST = '127.0.0.1';

function parseArgs(argv) {
  const args = { config: undefined, port: Number(process.env.OIDC_PORT || 0) };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--port') {
      args.port = Number(argv[i + 1]);
      i += 1;
    } else if (argv[i] === '--config') {
      args.config = argv[i + 1];
      i += 1;
    } else {
      args.config = argv[i];
    }
  }
  if (!args.config) {
    throw new Error('usage: node server.js CONFIG.json [--port N]');
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
    throw new Error(`invalid port: ${args.port}`);
  }
  return args;
}

function escapeHtml(value) {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:sans-serif;max-width:24rem;margin:3rem auto}
label,input,button{display:block;width:100%;margin:.3rem 0}
input,button{padding:.4rem;box-sizing:border-box}
.error{color:#a00;border:1px solid #a00;padding:.5rem}
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>`;
}

function sameSecret(given, expected) {
  // Compare digests so that the lengths never leak through timing.
  const a = createHash('sha256').update(String(given)).digest();
  const b = createHash('sha256').update(String(expected)).digest();
  return timingSafeEqual(a, b);
}

function loadConfig(path) {
  const raw = JSON.parse(readFileSync(path, 'utf8'));
  const accounts = raw.accounts || [];
  const bySub = new Map(accounts.map((account) => [String(account.sub), account]));
  const byUsername = new Map(accounts.map((account) => [String(account.username), account]));
  const clients = (raw.clients || []).map((client) => ({
    client_id: client.client_id,
    client_secret: client.client_secret,
    redirect_uris: client.redirect_uris,
    post_logout_redirect_uris: client.post_logout_redirect_uris || [],
    token_endpoint_auth_method: client.token_endpoint_auth_method || 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  }));
  return { accounts, bySub, byUsername, clients };
}

function accountClaims(account) {
  return {
    sub: String(account.sub),
    email: account.email,
    email_verified: account.email_verified ?? true,
    name: account.name,
    preferred_username: account.username,
    groups: account.groups || [],
  };
}

function signingKeys() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { keys: [{ ...jwk, kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' }] };
}

async function grantEverythingRequested(ctx) {
  // Automatic consent: the provider only knows the test's own clients.
  const { oidc } = ctx;
  const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (!grant || grant.accountId !== oidc.session.accountId) {
    grant = new oidc.provider.Grant({
      clientId: oidc.client.clientId,
      accountId: oidc.session.accountId,
    });
  }
  grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
  if (oidc.requestParamClaims.size > 0) {
    grant.addOIDCClaims([...oidc.requestParamClaims]);
  }
  await grant.save();
  return grant;
}

function buildProvider(issuer, config) {
  return new Provider(issuer, {
    clients: config.clients,
    jwks: signingKeys(),
    cookies: {
      names: {
        session: 'op_session',
        interaction: 'op_interaction',
        resume: 'op_interaction_resume',
      },
      keys: [randomBytes(32).toString('hex')],
    },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
    },
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page(
            'Sign out',
            `${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<script>document.forms[0].insertAdjacentHTML('beforeend','<input type="hidden" name="logout" value="yes">');document.forms[0].submit();</script>`,
          );
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = page('Signed out', '<p>You are signed out.</p>');
        },
      },
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      const rows = Object.entries(out)
        .map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(value)}</p>`)
        .join('');
      ctx.body = page('Error', rows);
    },
    interactions: {
      url: async (ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    loadExistingGrant: grantEverythingRequested,
    findAccount: async (ctx, sub) => {
      const account = config.currentAccount(sub);
      if (!account) {
        return undefined;
      }
      return {
        accountId: String(account.sub),
        claims: async () => accountClaims(account),
      };
    },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 600,
      IdToken: 3600,
      Interaction: 3600,
      Grant: 14 * 24 * 3600,
      RefreshToken: 14 * 24 * 3600,
      Session: 14 * 24 * 3600,
    },
  });
}

function loginForm(uid, { username = '', error = '' } = {}) {
  const errorHtml = error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '';
  return page(
    'Sign in',
    `${errorHtml}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label for="username">Username</label>
<input id="username" name="username" value="${escapeHtml(username)}" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) {
      throw new Error('form too large');
    }
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendHtml(res, status, html) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(html);
}

async function handleInteraction(provider, config, req, res, pathname) {
  const match = /^\/interaction\/([^/]+)(\/login)?$/.exec(pathname);
  if (!match) {
    sendHtml(res, 404, page('Not found', ''));
    return;
  }
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== match[1]) {
    sendHtml(res, 400, page('Error', '<p>Interaction mismatch.</p>'));
    return;
  }
  if (details.prompt.name !== 'login') {
    // Consent (or any other prompt): granted by loadExistingGrant, finish now.
    const grant = await grantForInteraction(provider, details);
    await provider.interactionFinished(req, res, { consent: { grantId: grant } }, {
      mergeWithLastSubmission: true,
    });
    return;
  }
  if (req.method === 'GET' && !match[2]) {
    sendHtml(res, 200, loginForm(details.uid, { username: details.params.login_hint || '' }));
    return;
  }
  if (req.method !== 'POST' || !match[2]) {
    sendHtml(res, 405, page('Error', '<p>Method not allowed.</p>'));
    return;
  }
  const form = await readForm(req);
  const username = form.get('username') || '';
  const password = form.get('password') || '';
  const account = config.byUsername.get(username);
  if (!account || !sameSecret(password, account.password)) {
    sendHtml(res, 200, loginForm(details.uid, {
      username,
      error: 'Invalid username or password.',
    }));
    return;
  }
  await provider.interactionFinished(req, res, {
    login: { accountId: String(account.sub) },
  }, { mergeWithLastSubmission: false });
}

async function grantForInteraction(provider, details) {
  const { clientId } = details.params;
  const accountId = details.session?.accountId;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ clientId, accountId });
  const scope = String(details.params.scope || '');
  grant.addOIDCScope(scope);
  const missing = details.prompt.details?.missingOIDCClaims;
  if (missing?.length) {
    grant.addOIDCClaims(missing);
  }
  return grant.save();
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const config = loadConfig(args.config);
  const raw = JSON.parse(readFileSync(args.config, 'utf8'));
  const frontHost = raw.front_host || '';
  let frontOrigin = '';
  // Claims as the config file says now (a test may rewrite it).
  config.currentAccount = (sub) => loadConfig(args.config).bySub.get(String(sub));
  let provider;
  let providerCallback;

  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, provider.issuer);
    if (pathname.startsWith('/interaction/')) {
      handleInteraction(provider, config, req, res, pathname).catch((error) => {
        console.error(error);
        if (!res.headersSent) {
          sendHtml(res, 400, page('Error', `<p>${escapeHtml(error.message)}</p>`));
        } else {
          res.end();
        }
      });
      return;
    }
    providerCallback(req, res);
  });

  const front = frontHost ? http.createServer((req, res) => server.emit('request', req, res)) : null;

  const ready = (issuer, port) => {
    provider = buildProvider(issuer, config);
    provider.on('server_error', (ctx, error) => console.error('server_error', error));
    if (front) {
      provider.use(async (ctx, next) => {
        await next();
        if (ctx.path === '/.well-known/openid-configuration' && ctx.body) {
          for (const key of ['authorization_endpoint', 'end_session_endpoint']) {
            const url = new URL(ctx.body[key]);
            ctx.body[key] = `${frontOrigin}${url.pathname}`;
          }
        }
      });
    }
    providerCallback = provider.callback();
    const line = frontOrigin ? { issuer, port, front_origin: frontOrigin } : { issuer, port };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  };

  server.listen(args.port, HOST, () => {
    const { port } = server.address();
    const issuer = `http://${HOST}:${port}`;
    if (!front) {
      ready(issuer, port);
      return;
    }
    front.listen(0, frontHost, () => {
      frontOrigin = `http://${frontHost}:${front.address().port}`;
      ready(issuer, port);
    });
  });

  const shutdown = () => {
    server.close();
    server.closeAllConnections();
    if (front) {
      front.close();
      front.closeAllConnections();
    }
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main();
