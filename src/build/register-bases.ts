// Registers the base kinds that live outside src/build (distro packages); imported for its effect.
export {};
