/**
 * Swagger UI's assets as Bun sees them: imported as files, so `bun build --compile`
 * (what the compose images run) embeds them in the executable, and each import is
 * the file's path (on disk, or inside the executable). Loaded only on Bun: the
 * `file` import attribute is Bun's own.
 */
import cssPath from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' }
import bundlePath from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' }

/** Path of each asset by its name on the docs page. */
export const assetPaths = { 'swagger-ui-bundle.js': bundlePath, 'swagger-ui.css': cssPath }
