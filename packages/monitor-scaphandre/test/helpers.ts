export { cgroupNode, hasBinary, makeCgroups, nodeInfo } from '@continuum/plugin-api/testing';
