/**
 * The player adapters, given stand-ins shaped like each player's public API (the players need a
 * browser; part 2 runs them in Chromium), wired to real sessions of the local API.
 */
import type { HlsConfig } from 'hls.js';
import {
  attachHlsJs,
  attachNative,
  attachShaka,
  attachVideoJs,
  canPlayNativeHls,
  createPlaybackSession,
  hlsJsConfig,
  NATIVE_URL_MODE_ERROR,
  type PlaybackSession,
} from '../../client/src';
import { startClientStack, type ClientStack } from './stack';

let env: ClientStack;
let urlSession: PlaybackSession;
let cookieSession: PlaybackSession;
let query: string;
beforeAll(async () => {
  env = await startClientStack();
  urlSession = createPlaybackSession({
    apiBase: env.apiBase,
    videoId: 'demo-1',
    delivery: 'url',
    getToken: () => env.token('adapter-url', ['demo-1']),
  });
  cookieSession = createPlaybackSession({
    apiBase: env.apiBase,
    videoId: 'demo-1',
    getToken: () => env.token('adapter-cookie', ['demo-1']),
  });
  query = (await urlSession.ready).signedQuery as string;
  await cookieSession.ready;
});
afterAll(async () => {
  urlSession.stop();
  cookieSession.stop();
  await env.close();
});

const media = (name: string) => `${env.apiBase}/media/demo-1/${name}`;
const other = 'https://cdn.other.example/lib.js';

describe('hls.js', () => {
  test("the config fits hls.js's own HlsConfig type", () => {
    const config: Partial<HlsConfig> = hlsJsConfig(urlSession);
    expect(typeof config.xhrSetup).toBe('function');
    expect(typeof config.fetchSetup).toBe('function');
  });

  test('URL mode: xhrSetup opens media requests with the signed query, others as they are', async () => {
    const { xhrSetup } = hlsJsConfig(urlSession);
    const opened: string[] = [];
    const xhr = {
      open: (_method: string, url: string) => opened.push(url),
      withCredentials: false,
    } as unknown as XMLHttpRequest;
    await xhrSetup(xhr, media('segment_000.m2ts'));
    await xhrSetup(xhr, other);
    expect(opened).toEqual([`${media('segment_000.m2ts')}?${query}`, other]);
    expect(xhr.withCredentials).toBe(false);
    expect((await fetch(opened[0])).status).toBe(200);
  });

  test('fetchSetup: signed URL in URL mode; credentials for media only in cookie mode', async () => {
    const signed = await hlsJsConfig(urlSession).fetchSetup({ url: media('segment_001.m2ts') }, { method: 'GET' });
    expect(signed.url).toBe(`${media('segment_001.m2ts')}?${query}`);
    const cookieConfig = hlsJsConfig(cookieSession);
    expect(
      (await cookieConfig.fetchSetup({ url: media('index.m3u8') }, { method: 'GET', credentials: 'same-origin' }))
        .credentials,
    ).toBe('include');
    const elsewhere = await cookieConfig.fetchSetup({ url: other }, { method: 'GET', credentials: 'same-origin' });
    expect(elsewhere.credentials).toBe('same-origin');
    expect(elsewhere.url).toBe(other);
  });

  test("attachHlsJs keeps the app's own xhrSetup: it runs once ours has opened the request with the grant", async () => {
    const calls: string[] = [];
    const own = (xhr: XMLHttpRequest, url: string) => {
      calls.push(`own ${url}`);
      xhr.setRequestHeader('x-app', 'kept');
    };
    const hls = { config: { xhrSetup: own } as object, loadSource: () => undefined };
    await attachHlsJs(hls, urlSession);
    await attachHlsJs(hls, urlSession); // attached again: ours is not chained to ours
    const xhr = {
      open: (_method: string, url: string) => calls.push(`open ${url}`),
      setRequestHeader: (name: string, value: string) => calls.push(`header ${name}: ${value}`),
      withCredentials: false,
    } as unknown as XMLHttpRequest;
    await (hls.config as { xhrSetup: (xhr: XMLHttpRequest, url: string) => unknown }).xhrSetup(
      xhr,
      media('segment_000.m2ts'),
    );
    expect(calls).toEqual([
      `open ${media('segment_000.m2ts')}?${query}`,
      `own ${media('segment_000.m2ts')}`,
      'header x-app: kept',
    ]);
  });

  test("attachHlsJs sets the hooks on the instance and loads the grant's manifest", async () => {
    const loaded: string[] = [];
    const hls = { config: {}, loadSource: (url: string) => loaded.push(url) };
    await attachHlsJs(hls, urlSession);
    expect(loaded).toEqual([urlSession.manifestUrl]);
    expect(typeof (hls.config as { xhrSetup?: unknown }).xhrSetup).toBe('function');
  });
});

describe('Shaka Player', () => {
  type Filter = (type: number, request: { uris: string[]; allowCrossSiteCredentials: boolean }) => void;
  function fakeShaka() {
    const filters: Filter[] = [];
    const loads: string[] = [];
    return {
      filters,
      loads,
      player: {
        getNetworkingEngine: () => ({
          registerRequestFilter: (filter: Filter) => filters.push(filter),
          unregisterRequestFilter: (filter: Filter) => filters.splice(filters.indexOf(filter), 1),
        }),
        load: async (uri: string) => loads.push(uri),
      },
    };
  }

  test('URL mode: the request filter signs media URIs only; attachShaka loads the manifest; detach unregisters', async () => {
    const shaka = fakeShaka();
    const detach = await attachShaka(shaka.player, urlSession);
    expect(shaka.loads).toEqual([urlSession.manifestUrl]);
    const request = { uris: [media('segment_002.m2ts'), other], allowCrossSiteCredentials: false };
    shaka.filters[0](1, request);
    expect(request.uris).toEqual([`${media('segment_002.m2ts')}?${query}`, other]);
    expect(request.allowCrossSiteCredentials).toBe(false);
    detach();
    expect(shaka.filters).toEqual([]);
  });

  test('cookie mode: credentials on media requests, URIs untouched', async () => {
    const shaka = fakeShaka();
    await attachShaka(shaka.player, cookieSession);
    const request = { uris: [media('segment_000.m2ts')], allowCrossSiteCredentials: false };
    shaka.filters[0](1, request);
    expect(request).toEqual({ uris: [media('segment_000.m2ts')], allowCrossSiteCredentials: true });
    const foreign = { uris: [other], allowCrossSiteCredentials: false };
    shaka.filters[0](0, foreign);
    expect(foreign.allowCrossSiteCredentials).toBe(false);
  });
});

describe('video.js (VHS)', () => {
  type Options = { uri: string; withCredentials?: boolean };
  type Hook = (options: Options) => Options | void;
  function fakeVideoJs(vhsXhr: {
    onRequest?: (hook: Hook) => void;
    offRequest?: (hook: Hook) => void;
    beforeRequest?: Hook;
  }) {
    const events = new Map<string, () => void>();
    const sources: unknown[] = [];
    let techReady = false;
    return {
      sources,
      fire: (event: string) => {
        techReady = true;
        events.get(event)?.();
      },
      player: {
        on: (event: string, listener: () => void) => events.set(event, listener),
        off: (event: string) => events.delete(event),
        tech: () => ({ vhs: techReady ? { xhr: vhsXhr } : undefined }),
        src: (source: unknown) => sources.push(source),
      },
    };
  }

  test('VHS 3 onRequest: installed on xhr-hooks-ready, signs media URIs, removed with offRequest', async () => {
    const hooks: Hook[] = [];
    const vjs = fakeVideoJs({
      onRequest: (hook) => hooks.push(hook),
      offRequest: (hook) => hooks.splice(hooks.indexOf(hook), 1),
    });
    const remove = await attachVideoJs(vjs.player, urlSession);
    expect(vjs.sources).toEqual([{ src: urlSession.manifestUrl, type: 'application/x-mpegURL' }]);
    vjs.fire('xhr-hooks-ready');
    expect(hooks).toHaveLength(1);
    const options = { uri: media('segment_000.m2ts') };
    hooks[0](options);
    expect(options.uri).toBe(`${media('segment_000.m2ts')}?${query}`);
    remove();
    expect(hooks).toEqual([]);
  });

  test('older VHS (beforeRequest only), cookie mode: withCredentials on the source and on media requests', async () => {
    const xhr: { beforeRequest?: Hook } = {};
    const vjs = fakeVideoJs(xhr);
    await attachVideoJs(vjs.player, cookieSession);
    expect(vjs.sources).toEqual([
      { src: cookieSession.manifestUrl, type: 'application/x-mpegURL', withCredentials: true },
    ]);
    vjs.fire('xhr-hooks-ready');
    const options: { uri: string; withCredentials?: boolean } = { uri: media('segment_001.m2ts') };
    xhr.beforeRequest?.(options);
    expect(options).toEqual({ uri: media('segment_001.m2ts'), withCredentials: true });
  });
});

describe('native HLS', () => {
  const video = (hls: boolean) =>
    ({
      src: '',
      canPlayType: (type: string) => (hls && type.includes('mpegurl') ? 'maybe' : ''),
    }) as unknown as HTMLVideoElement;

  test('cookie mode: video.src is the manifest', async () => {
    const element = video(true);
    expect(canPlayNativeHls(element)).toBe(true);
    await attachNative(element, cookieSession);
    expect(element.src).toBe(cookieSession.manifestUrl);
  });

  test('URL mode is refused at once with an explanation', () => {
    const element = video(true);
    expect(() => attachNative(element, urlSession)).toThrow(NATIVE_URL_MODE_ERROR);
    expect(NATIVE_URL_MODE_ERROR).toMatch(/cannot append the signed query/);
    expect(element.src).toBe('');
    expect(canPlayNativeHls(video(false))).toBe(false);
  });
});
