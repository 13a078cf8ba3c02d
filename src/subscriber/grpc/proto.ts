import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * Finds the package's proto/ folder by walking up from this file to the package
 * root, so it works from src/ (ts), build/ (tests) and dist/ (published) alike.
 */
export function findProtoDir(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'proto', 'vtgateservice.proto');
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return join(dir, 'proto');
    if (dirname(dir) === dir) throw new Error(`vitess-messages: proto/vtgateservice.proto not found above ${from}`);
  }
}

let cached: grpc.ServiceClientConstructor | undefined;

/** The generated `vtgateservice.Vitess` client constructor (loaded once). */
export function vitessServiceClient(protoDir = findProtoDir()): grpc.ServiceClientConstructor {
  if (cached) return cached;
  const definition = protoLoader.loadSync('vtgateservice.proto', {
    includeDirs: [protoDir],
    longs: String, // 64-bit values stay exact
    enums: String, // field types as names ('INT64', 'JSON')
    bytes: Buffer,
    defaults: true,
    keepCase: false,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    vtgateservice: { Vitess: grpc.ServiceClientConstructor };
  };
  cached = pkg.vtgateservice.Vitess;
  return cached;
}
