// Requests with and without tokens against the RequestAuthentication golden
// cases (policy_applier.go: convertToEnvoyJwtConfig — a token is optional,
// but one that is there must verify; AuthorizationPolicy requestPrincipals
// then need the verified iss/sub).
import { generateKeyPairSync } from 'node:crypto';
import { NOW, signedToken, type Check } from './support';

const ISS = 'testing@secure.istio.io';
// A key of our own: its tokens do not verify against the keys the cases inline.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

export const JWT_CASES: Record<string, Check[]> = {
  'requestauthentication-jwks': [
    {
      why: 'no token is allowed by jwt_authn, but require-jwt needs a request principal',
      ask: { to: 'echo.app:80' },
      want: { outcome: 'denied', status: 403 },
    },
    {
      why: 'a valid token for audience echo gives principal iss/sub, which require-jwt allows',
      ask: { to: 'echo.app:80', jwtClaims: { iss: ISS, sub: ISS, aud: 'echo', exp: NOW + 3600 } },
      want: { outcome: 'forwarded', policy: 'ns[app]-policy[require-jwt]-rule[0]' },
    },
    {
      why: 'a token for another audience is rejected before RBAC',
      ask: { to: 'echo.app:80', jwtClaims: { iss: ISS, sub: ISS, aud: 'other' } },
      want: { outcome: 'unauthenticated', status: 401, says: 'Audiences in Jwt are not allowed' },
    },
    {
      why: 'an expired token is rejected',
      ask: { to: 'echo.app:80', jwtClaims: { iss: ISS, sub: ISS, aud: 'echo', exp: NOW - 60 } },
      want: { outcome: 'unauthenticated', status: 401, says: 'Jwt is expired' },
    },
    {
      why: 'a token from an issuer no rule names is rejected',
      ask: { to: 'echo.app:80', jwtClaims: { iss: 'someone@else', sub: 'x', aud: 'echo' } },
      want: { outcome: 'unauthenticated', status: 401, says: 'Jwt issuer is not configured' },
    },
    {
      why: 'a token signed by a key outside the inline JWKS fails verification',
      ask: { to: 'echo.app:80', jwt: signedToken({ iss: ISS, sub: ISS, aud: 'echo' }, privateKey) },
      want: { outcome: 'unauthenticated', status: 401, says: 'Jwt verification fails' },
    },
  ],
  'requestauthentication-jwksuri': [
    {
      why: 'without a token the request passes (no AuthorizationPolicy)',
      ask: { to: 'echo.app:80' },
      want: { outcome: 'forwarded', clusters: ['inbound-vip|80|http|echo.app.svc.cluster.local'] },
    },
    {
      why: 'the unfetched jwksUri leaves a key set nothing verifies against: a token in x-jwt is rejected',
      ask: {
        to: 'echo.app:80',
        headers: [['x-jwt', signedToken({ iss: 'https://accounts.example.com', sub: 'u' }, privateKey)]],
      },
      want: { outcome: 'unauthenticated', status: 401, says: 'Jwt verification fails' },
    },
    {
      why: 'the rule reads x-jwt and ?token only, so a bearer token is not looked at',
      ask: {
        to: 'echo.app:80',
        jwt: signedToken({ iss: 'https://accounts.example.com', sub: 'u' }, privateKey),
      },
      want: { outcome: 'forwarded' },
    },
  ],
  'invalid-jwks': [
    {
      why: 'the broken rule is refused; the good one still verifies tokens and require-jwt still applies',
      ask: { to: 'echo.app:80', jwtClaims: { iss: ISS, sub: ISS, aud: 'echo' } },
      want: { outcome: 'forwarded', policy: 'ns[app]-policy[require-jwt]-rule[0]' },
    },
    {
      why: 'no token: denied by require-jwt',
      ask: { to: 'echo.app:80' },
      want: { outcome: 'denied', status: 403 },
    },
  ],
};
