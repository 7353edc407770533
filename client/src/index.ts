export * from './core';
export { attachHlsJs, hlsJsConfig, watchHlsJs } from './adapters/hlsjs';
export type { HlsErrorData, HlsLike, HlsRequestHooks } from './adapters/hlsjs';
export { attachShaka, shakaRequestFilter } from './adapters/shaka';
export type { ShakaPlayerLike } from './adapters/shaka';
export { attachVideoJs, vhsRequestHook } from './adapters/videojs';
export type { VideoJsPlayerLike } from './adapters/videojs';
export { NATIVE_URL_MODE_ERROR, attachNative, canPlayNativeHls } from './adapters/native';
