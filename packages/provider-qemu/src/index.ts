import { qemuProvider } from './provider.js';

export default qemuProvider;
export { qemuProvider };
export { qemuOptionsSchema, type QemuOptions } from './config.js';
export { names, planAddresses, macFor } from './naming.js';
export { buildBaseImage } from './images/build.js';
export { listImages, removeImage, findImage, imagesDir } from './images/cache.js';
export { DEFAULT_RECIPE, baseKey, layerKey } from './images/recipe.js';
export { buildLayer } from './images/layer.js';
export type { QemuState } from './state.js';
