// Moved to src/plan/: re-exported while other branches still import it from here.
export * from '../plan/index.js';
