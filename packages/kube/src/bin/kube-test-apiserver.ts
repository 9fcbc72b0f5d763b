#!/usr/bin/env node
/**
 * `kube-test-apiserver [--port N] [--host H] [--tls] [--kubeconfig FILE] [--load DIR]`: run the test Kubernetes API
 * server, print where it listens, write a kubeconfig for it, and preload the manifests under DIR.
 */
import { parseArgs } from 'node:util';
import { listManifestFiles, readManifestFile } from '../manifests.js';
import { startTestApiServer } from '../testing/api-server.js';
import { writeKubeconfig } from '../testing/kubeconfig.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      kubeconfig: { type: 'string' },
      load: { type: 'string', multiple: true },
      tls: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(
      'usage: kube-test-apiserver [--port N] [--host H] [--tls] [--kubeconfig FILE] [--load DIR]...\n',
    );
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`kube-test-apiserver: --port: ${values.port} is not a port number\n`);
    return 2;
  }
  const server = await startTestApiServer({
    port,
    host: values.host,
    ...(values.tls === true ? { tls: true as const } : {}),
  });
  let loaded = 0;
  let failed = 0;
  for (const dir of values.load ?? []) {
    for (const file of await listManifestFiles(dir)) {
      const m = await readManifestFile(file);
      for (const e of m.errors) {
        failed++;
        process.stderr.write(`kube-test-apiserver: ${e.message}\n`);
      }
      for (const d of m.documents) {
        try {
          server.put(d.value);
          loaded++;
        } catch (err) {
          failed++;
          process.stderr.write(`kube-test-apiserver: ${file}#${d.document}: ${(err as Error).message}\n`);
        }
      }
    }
  }
  if (values.kubeconfig !== undefined)
    await writeKubeconfig(values.kubeconfig, server.url, server.ca !== undefined ? { ca: server.ca } : {});
  process.stdout.write(
    `listening on ${server.url}` +
      (values.kubeconfig !== undefined ? `\nkubeconfig ${values.kubeconfig}` : '') +
      (values.load !== undefined ? `\nloaded ${loaded} objects${failed > 0 ? `, ${failed} failed` : ''}` : '') +
      '\n',
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`kube-test-apiserver: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
