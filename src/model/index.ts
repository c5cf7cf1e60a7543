export * from './meta';
export * from './core';
export * from './gateway';
export * from './istio';
export * from './labels';
export * from './kinds';
export * from './world';
export * from './indexes';
