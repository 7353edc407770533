/**
 * Local mode (`local`): what only `npm start` reads when it is given this config file
 * (local/config-file.ts); the deployment ignores it. The IdP, claims, plans and every other
 * setting come from their own sections, as deployed.
 */
import { optionalSection, text } from './fields';

export const localSchema = optionalSection({
  /**
   * The folder the local edge serves as the media bucket (`<videoId>/index.m3u8` and its segments),
   * relative to the config file. @default the repository's demo content (local/content/media)
   */
  contentDir: text(/^[^\u0000-\u001f]{1,1024}$/, 'a folder path').optional(),
});
