/**
 * What every adapter does with a media 403 the player reports: tell the session (it asks the API
 * again at once) and, when the player has given up on that request, restart its loading as soon
 * as a grant newer than the refused one is in.
 */
import type { Grant, PlaybackSession } from '../client';

export interface MediaDeniedWatch {
  /** The player got 403 for `url`. */
  forbidden(url: string | undefined): void;
  /** The player stopped loading after a 403: `resume` runs once a newer grant is in (now, if it already is). */
  gaveUp(resume: () => void): void;
  /** Stops listening. */
  close(): void;
}

export function watchMediaDenied(session: PlaybackSession): MediaDeniedWatch {
  let refused: Grant | undefined;
  let pending: (() => void) | undefined;
  const off = session.on('grant', (grant) => {
    if (pending === undefined || grant === refused) return;
    const resume = pending;
    pending = undefined;
    resume();
  });
  return {
    forbidden(url) {
      refused = session.grant;
      session.mediaForbidden(url);
    },
    gaveUp(resume) {
      if (session.stopped) return;
      if (refused !== undefined && session.grant !== refused) resume();
      else pending = resume;
    },
    close() {
      pending = undefined;
      off();
    },
  };
}
