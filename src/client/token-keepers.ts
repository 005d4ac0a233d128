// "Give me a valid token for this participant": the client side of the token keepers. One keeper per
// (provider, stand, participant), found by a deterministic id (tokenKeeperId) and reached through
// Update-with-Start: the first caller starts it, every later caller gets the token it holds.
//
//   const { token } = await getMptToken(client, { input });          // the mptSignIn input, as is
//   … on HTTP 401 with that token:
//   await invalidateMptToken(client, { input, token });              // once per refused token
//   … a keeper started with a wrong input (a mistyped password variable):
//   await resetTokenKeeper(client, 'ismpt', { input: fixed });         // ends it, then a token with `fixed`
//   await endTokenKeeper(client, 'ismpt', input);                      // or only end it
//
// invalidate sends the token's SHA-256, never the token; only the keeper's current token makes it
// sign in again, once, however many callers report it. No call waits silently: a keeper is started
// only on a task queue a worker polls, and a call on a keeper whose own queue has no worker fails
// within seconds naming that queue (worker-check.ts).
//
// By concern (client/index.ts re-exports what is exported here):
//   token-keepers/ids.ts           tokenKeeperId: which keeper serves a participant
//   token-keepers/get.ts           getMptToken, getKonturSession (Update-with-Start, coalesced, retried)
//   token-keepers/invalidate.ts    invalidateMptToken, invalidateKonturSession
//   token-keepers/end.ts           endTokenKeeper, resetTokenKeeper
//   token-keepers/keeper-calls.ts  what every call on a keeper shares: no silent wait, errors explained
export { tokenKeeperId, type KeeperProvider } from './token-keepers/ids.js';
export { getKonturSession, getMptToken, type KeeperCallOptions } from './token-keepers/get.js';
export { invalidateKonturSession, invalidateMptToken } from './token-keepers/invalidate.js';
export { endTokenKeeper, resetTokenKeeper, type EndTokenKeeperResult, type ResetTokenKeeperResult } from './token-keepers/end.js';
