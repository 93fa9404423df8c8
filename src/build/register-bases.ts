// Registers the base kinds that live outside src/build (distro packages); imported for its effect.
import { distroBase } from '../debian/base-source.js';
import { registerBaseSource } from './base.js';

registerBaseSource('distro', (base, plan, context) => {
  if (base.kind !== 'distro') throw new Error('unreachable');
  return distroBase(base.spec, plan, context);
});
