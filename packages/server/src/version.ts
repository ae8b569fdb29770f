/** This package's version, as served by /health and the OpenAPI document. */
export const VERSION = '0.1.0';
