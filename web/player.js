// streamgate demo player: sign in at the dev IdP, ask the playback API for access to one video,
// play it with hls.js (or native HLS on Safari) and renew access before it runs out.
// Plain browser JS, no build step; served with CSP default-src 'self', so nothing inline.
(function () {
  'use strict';

  /** Demo viewers and the videos their tokens entitle. */
  var VIEWERS = { alice: ['demo-1', 'demo-2'], bob: ['demo-1'] };
  var MIN_REFRESH_DELAY_MS = 1000;
  var DEFAULT_RETRY_SECONDS = 5;
  var MAX_RETRY_SECONDS = 60;
  // Ignore clock differences the Date header's one-second resolution can explain.
  var SKEW_THRESHOLD_MS = 2000;

  var ui = {
    signinAlice: byId('signin-alice'),
    signinBob: byId('signin-bob'),
    logout: byId('logout'),
    signedInAs: byId('signed-in-as'),
    videos: byId('videos'),
    deliveryUrl: byId('delivery-url'),
    video: byId('video'),
    refresh: byId('refresh'),
    stop: byId('stop'),
    status: byId('status'),
    cookieExpiry: byId('cookie-expiry'),
    lastApi: byId('last-api'),
    error: byId('error'),
  };

  /** The bearer token lives only here, in memory, never in storage. */
  var viewer = { name: null, token: null, loggedOut: false };
  /** The video being played; replaced on every Play, null when stopped. Async work checks it is still current. */
  var session = null;

  function byId(id) {
    return document.getElementById(id);
  }

  // ---- what the page shows -------------------------------------------------------------------

  function showStatus(text) {
    ui.status.textContent = text;
  }

  function showError(text) {
    ui.error.textContent = text || '';
  }

  function showLastApi(method, path, status, code) {
    var result = status === 0 ? 'network error' : String(status) + (code ? ' ' + code : '');
    ui.lastApi.textContent = result + ' (' + method + ' ' + path + ')';
    ui.lastApi.dataset.status = String(status);
    ui.lastApi.dataset.error = code || '';
  }

  function showExpiry() {
    if (session === null || session.expiresAtMs === null) {
      ui.cookieExpiry.textContent = '—';
      delete ui.cookieExpiry.dataset.seconds;
      return;
    }
    var seconds = Math.max(0, Math.ceil((session.expiresAtMs - Date.now()) / 1000));
    ui.cookieExpiry.textContent = seconds > 0 ? seconds + ' s' : 'expired';
    ui.cookieExpiry.dataset.seconds = String(seconds);
  }

  function showViewer() {
    ui.signedInAs.textContent =
      viewer.name === null ? 'nobody' : viewer.name + (viewer.loggedOut ? ' (logged out)' : '');
    ui.logout.disabled = viewer.token === null || viewer.loggedOut;
  }

  function showSessionControls() {
    ui.refresh.disabled = session === null;
    ui.stop.disabled = session === null;
    var items = ui.videos.querySelectorAll('button.play');
    for (var i = 0; i < items.length; i++) {
      var current = session !== null && items[i].dataset.video === session.videoId;
      items[i].setAttribute('aria-pressed', current ? 'true' : 'false');
    }
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  /** One JSON request; never throws. Network failures come back as status 0. */
  function request(method, path, options) {
    var headers = {};
    if (options.token) headers.Authorization = 'Bearer ' + options.token;
    if (options.json !== undefined) headers['Content-Type'] = 'application/json';
    var init = { method: method, headers: headers, credentials: 'same-origin', cache: 'no-store' };
    if (options.json !== undefined) init.body = JSON.stringify(options.json);
    return fetch(path, init).then(
      function (response) {
        return response.text().then(function (text) {
          var body = null;
          try {
            body = text ? JSON.parse(text) : null;
          } catch (_ignored) {
            body = null; // e.g. an HTML 403 page from a geo block or WAF
          }
          return { status: response.status, body: body, headers: response.headers };
        });
      },
      function () {
        return { status: 0, body: null, headers: new Headers() };
      },
    );
  }

  /** A call to the playback API, recorded in #last-api. */
  function callApi(method, path) {
    return request(method, path, { token: viewer.token }).then(function (result) {
      showLastApi(method, path, result.status, errorCode(result));
      return result;
    });
  }

  function errorCode(result) {
    return result.body && typeof result.body.error === 'string' ? result.body.error : '';
  }

  function errorDescription(result) {
    if (result.body && typeof result.body.error_description === 'string') return result.body.error_description;
    return result.status === 0 ? 'The server could not be reached.' : 'HTTP ' + result.status;
  }

  /** Seconds from Retry-After (seconds or HTTP date), bounded; a default when absent. */
  function retryAfterSeconds(headers) {
    var value = headers.get('Retry-After');
    var seconds = Number(value);
    if (value === null || value === '') seconds = DEFAULT_RETRY_SECONDS;
    else if (!Number.isFinite(seconds)) seconds = (Date.parse(value) - Date.now()) / 1000;
    if (!Number.isFinite(seconds)) seconds = DEFAULT_RETRY_SECONDS;
    return Math.min(MAX_RETRY_SECONDS, Math.max(1, Math.ceil(seconds)));
  }

  // ---- signing in and out --------------------------------------------------------------------

  function signIn(name) {
    stopPlayback();
    showError('');
    showStatus('Signing in as ' + name + '…');
    request('POST', '/idp/token', { json: { sub: name, videos: VIEWERS[name] } }).then(function (result) {
      if (result.status !== 200 || !result.body || typeof result.body.access_token !== 'string') {
        showStatus('Sign-in failed');
        showError(errorDescription(result));
        return;
      }
      viewer = { name: name, token: result.body.access_token, loggedOut: false };
      showViewer();
      showStatus('Signed in as ' + name + ', pick a video');
    });
  }

  /** Revokes the token at the API. Playback goes on until the next refresh, which that revocation refuses. */
  function logOut() {
    if (viewer.token === null || viewer.loggedOut) return;
    callApi('DELETE', '/api/v1/session').then(function (result) {
      if (result.status !== 204) {
        showStatus('Log out failed');
        showError(errorDescription(result));
        return;
      }
      viewer.loggedOut = true;
      showViewer();
      showError('');
      showStatus(session !== null ? 'Logged out: playback continues until access is next refreshed' : 'Logged out');
    });
  }

  // ---- playback ------------------------------------------------------------------------------

  function play(videoId) {
    stopPlayback();
    showError('');
    session = {
      videoId: videoId,
      delivery: ui.deliveryUrl.checked ? 'url' : 'cookie',
      hls: null,
      mediaStarted: false,
      manifestUrl: null,
      mediaOrigin: null,
      mediaPath: '/media/' + encodeURIComponent(videoId) + '/',
      signedQuery: null,
      issuedQueries: new Set(),
      expiresAtMs: null,
      refreshTimer: null,
      countdownTimer: null,
      retrying: false,
      recoveredMediaError: false,
    };
    ui.video.dataset.videoId = videoId;
    ui.video.dataset.delivery = session.delivery;
    showSessionControls();
    showStatus('Requesting access to ' + videoId + '…');
    requestAccess(session);
  }

  /** Stops everything about the current video; later callbacks of it find it no longer current. */
  function stopPlayback() {
    var ended = session;
    session = null;
    if (ended !== null) {
      clearTimeout(ended.refreshTimer);
      clearInterval(ended.countdownTimer);
      if (ended.hls !== null) ended.hls.destroy();
      ui.video.pause();
      ui.video.removeAttribute('src');
      ui.video.load();
    }
    delete ui.video.dataset.videoId;
    delete ui.video.dataset.delivery;
    showExpiry();
    showSessionControls();
  }

  /** POST /api/v1/playback/{videoId}: the first access to the video (then playback starts) or a refresh. */
  function requestAccess(current) {
    clearTimeout(current.refreshTimer);
    var path =
      '/api/v1/playback/' + encodeURIComponent(current.videoId) + (current.delivery === 'url' ? '?delivery=url' : '');
    callApi('POST', path).then(function (result) {
      if (current !== session) return;
      if (result.status === 200 && result.body && typeof result.body.manifestUrl === 'string') {
        showError('');
        applyGrant(current, result);
        if (!current.mediaStarted) startMedia(current);
        else if (current.retrying) showStatus(ui.video.paused ? 'Access renewed' : 'Playing');
        current.retrying = false;
        return;
      }
      showError(errorDescription(result));
      if (result.status === 0 || result.status === 429 || result.status >= 500) {
        // Transient: keep the current access (it may still be valid) and ask again later.
        current.retrying = true;
        showStatus(result.status === 429 ? 'Too many requests, retrying' : 'Service unavailable, retrying');
        current.refreshTimer = setTimeout(function () {
          requestAccess(current);
        }, retryAfterSeconds(result.headers) * 1000);
        return;
      }
      stopPlayback();
      showStatus(refusal(result));
    });
  }

  /** Human words for a final refusal of the playback API. */
  function refusal(result) {
    var code = errorCode(result);
    if (result.status === 401) {
      if (viewer.token === null) return 'Not signed in';
      if (viewer.loggedOut || /revoked/i.test(errorDescription(result))) return 'Token revoked — playback stopped';
      return 'Session expired';
    }
    if (result.status === 403) {
      if (code === 'insufficient_scope') return 'Not entitled to this video';
      if (code === '' || /geo|region|country/i.test(code)) return 'Blocked in your region';
      return 'Access denied';
    }
    if (result.status === 400) return 'Invalid request';
    if (result.status === 404) return 'Video not found';
    return 'Access refused (HTTP ' + result.status + ')';
  }

  /** Takes in a 200 answer: remember the URLs and query, schedule the refresh, run the countdown. */
  function applyGrant(current, result) {
    var body = result.body;
    var serverNow = Date.parse(result.headers.get('Date') || '');
    var skew =
      Number.isFinite(serverNow) && Math.abs(Date.now() - serverNow) > SKEW_THRESHOLD_MS ? Date.now() - serverNow : 0;
    var expiresAt = Date.parse(body.expiresAt) + skew;
    var refreshAfter = Date.parse(body.refreshAfter) + skew;
    if (!Number.isFinite(refreshAfter)) refreshAfter = Date.now() + (expiresAt - Date.now()) * 0.8;

    current.manifestUrl = body.manifestUrl;
    current.mediaOrigin = new URL(body.manifestUrl, document.baseURI).origin;
    if (current.delivery === 'url' && typeof body.signedQuery === 'string') {
      current.signedQuery = body.signedQuery.replace(/^\?/, '');
      current.issuedQueries.add(current.signedQuery);
    }
    current.expiresAtMs = Number.isFinite(expiresAt) ? expiresAt : null;

    clearTimeout(current.refreshTimer);
    var delay = Math.max(MIN_REFRESH_DELAY_MS, Number.isFinite(refreshAfter) ? refreshAfter - Date.now() : 60000);
    current.refreshTimer = setTimeout(function () {
      requestAccess(current);
    }, delay);
    clearInterval(current.countdownTimer);
    current.countdownTimer = setInterval(showExpiry, 500);
    showExpiry();
  }

  /**
   * In signed-URL mode every media request of the video needs the signed query: relative segment
   * and key URIs do not inherit the manifest's. A URL still carrying an older query we were given
   * (a retry) gets the newest one.
   */
  function withSignedQuery(current, url) {
    if (current.delivery !== 'url' || current.signedQuery === null) return url;
    var parsed = new URL(url, document.baseURI);
    if (parsed.origin !== current.mediaOrigin || parsed.pathname.indexOf(current.mediaPath) !== 0) return url;
    var query = parsed.search.replace(/^\?/, '');
    if (query !== '' && !current.issuedQueries.has(query)) return url;
    return parsed.origin + parsed.pathname + '?' + current.signedQuery;
  }

  function startMedia(current) {
    var video = ui.video;
    current.mediaStarted = true;
    if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls({
        // The worker would be a blob: script, which CSP default-src 'self' refuses.
        enableWorker: false,
        xhrSetup: function (xhr, url) {
          if (current !== session) return;
          var signed = withSignedQuery(current, url);
          if (signed !== url) xhr.open('GET', signed, true);
        },
      });
      current.hls = hls;
      hls.on(window.Hls.Events.ERROR, function (_event, data) {
        onHlsError(current, data);
      });
      hls.on(window.Hls.Events.MANIFEST_PARSED, function () {
        if (current === session) video.play().catch(function () {});
      });
      hls.loadSource(current.manifestUrl);
      hls.attachMedia(video);
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      // Native HLS sends cookies but cannot add the signed query to segment requests.
      if (current.delivery === 'url')
        showError('Native HLS cannot add the signed query to segment requests; use cookies.');
      video.src = current.manifestUrl;
      video.play().catch(function () {});
    } else {
      stopPlayback();
      showStatus('This browser cannot play HLS');
      return;
    }
    showStatus('Loading ' + current.videoId + '…');
  }

  function onHlsError(current, data) {
    if (current !== session || !data.fatal) return;
    var Hls = window.Hls;
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !current.recoveredMediaError) {
      current.recoveredMediaError = true;
      current.hls.recoverMediaError();
      return;
    }
    var httpStatus = (data.response && data.response.code) || (data.networkDetails && data.networkDetails.status) || 0;
    var url = (data.frag && data.frag.url) || (data.context && data.context.url) || data.url || '';
    // Name the file without the query: a signed query is a credential.
    var file = url ? String(url).split('?')[0].split('/').pop() : 'media';
    stopPlayback();
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR && httpStatus === 403) {
      showStatus('Media access denied (403) — playback stopped');
      showError(
        'The CDN refused ' +
          file +
          ' (' +
          data.details +
          '): the signed cookies or URL were not accepted. Press Play to ask for access again.',
      );
    } else if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
      showStatus('Media could not be loaded — playback stopped');
      showError((httpStatus ? 'HTTP ' + httpStatus : 'Network error') + ' for ' + file + ' (' + data.details + ').');
    } else {
      showStatus('Playback error — playback stopped');
      showError('The video could not be decoded (' + data.details + ').');
    }
  }

  // Status words follow the video element, but only once it plays the current session (a stopped
  // video's late pause event must not overwrite what the page said about the next one).
  function onVideoEvent(text) {
    return function () {
      if (session !== null && session.mediaStarted && !session.retrying) showStatus(text);
    };
  }
  ui.video.addEventListener('playing', onVideoEvent('Playing'));
  ui.video.addEventListener('pause', onVideoEvent('Paused'));
  ui.video.addEventListener('waiting', onVideoEvent('Buffering…'));
  ui.video.addEventListener('ended', onVideoEvent('Ended'));
  ui.video.addEventListener('error', function () {
    if (session === null || !session.mediaStarted || session.hls !== null) return; // hls.js reports its own errors
    stopPlayback();
    showStatus('Playback error — playback stopped');
    showError('The browser could not play this stream.');
  });

  // ---- catalog -------------------------------------------------------------------------------

  function loadCatalog() {
    request('GET', '/local/catalog.json', {}).then(function (result) {
      ui.videos.textContent = '';
      ui.videos.removeAttribute('aria-busy');
      if (result.status !== 200 || !Array.isArray(result.body)) {
        showStatus('Could not load the video list');
        showError(errorDescription(result));
        return;
      }
      result.body.forEach(function (entry) {
        if (!entry || typeof entry.id !== 'string') return;
        var title = typeof entry.title === 'string' ? entry.title : entry.id;
        var item = document.createElement('li');
        var name = document.createElement('span');
        name.className = 'title';
        name.textContent = title;
        item.appendChild(name);
        if (entry.encrypted === true) {
          var badge = document.createElement('span');
          badge.className = 'badge';
          badge.textContent = 'AES-128';
          item.appendChild(badge);
        }
        var button = document.createElement('button');
        button.type = 'button';
        button.className = 'play';
        button.dataset.video = entry.id;
        button.textContent = 'Play';
        button.setAttribute('aria-label', 'Play ' + title);
        button.setAttribute('aria-pressed', 'false');
        button.addEventListener('click', function () {
          play(entry.id);
        });
        item.appendChild(button);
        ui.videos.appendChild(item);
      });
    });
  }

  // ---- wiring --------------------------------------------------------------------------------

  ui.signinAlice.addEventListener('click', function () {
    signIn('alice');
  });
  ui.signinBob.addEventListener('click', function () {
    signIn('bob');
  });
  ui.logout.addEventListener('click', logOut);
  ui.refresh.addEventListener('click', function () {
    if (session !== null) requestAccess(session);
  });
  ui.stop.addEventListener('click', function () {
    stopPlayback();
    showError('');
    showStatus('Stopped');
  });

  showViewer();
  showSessionControls();
  loadCatalog();
})();
