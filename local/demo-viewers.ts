/**
 * The demo viewers the player offers and the videos their tokens entitle. The player page
 * (web/src/dev-idp.ts, bundled for the browser by web/build.ts) carries the same table; a test compares
 * the two.
 */
export const DEMO_VIEWERS: Readonly<Record<string, readonly string[]>> = {
  alice: ['demo-1', 'demo-2', 'demo-3', 'live-1'],
  bob: ['demo-1'],
};
