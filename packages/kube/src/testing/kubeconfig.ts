/** Kubeconfig files for the test API server. */
import { writeFile } from 'node:fs/promises';
import { dump } from 'js-yaml';

export interface KubeconfigOptions {
  /** Names of the cluster, user and context; default 'vectorplane-test'. */
  name?: string;
  /** The context's default namespace; default none ('default'). */
  namespace?: string;
  /** PEM certificate(s) to trust for an https server (the test server's `ca`). */
  ca?: string;
}

/** The text of a kubeconfig whose current context points at `server` (no credentials: the test server has no auth). */
export function kubeconfigFor(server: string, opts: KubeconfigOptions = {}): string {
  const name = opts.name ?? 'vectorplane-test';
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    // @kubernetes/client-node refuses plain http unless insecure-skip-tls-verify is set; kubectl accepts it.
    clusters: [
      {
        name,
        cluster: {
          server,
          ...(server.startsWith('http:') ? { 'insecure-skip-tls-verify': true } : {}),
          ...(opts.ca !== undefined ? { 'certificate-authority-data': Buffer.from(opts.ca).toString('base64') } : {}),
        },
      },
    ],
    // A token (ignored by the test server) keeps kubectl from prompting for a password over https.
    users: [{ name, user: { token: 'vectorplane-test' } }],
    contexts: [
      {
        name,
        context: { cluster: name, user: name, ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}) },
      },
    ],
    'current-context': name,
    preferences: {},
  });
}

/** Write a kubeconfig for `server` to `file` (mode 0600). */
export async function writeKubeconfig(file: string, server: string, opts: KubeconfigOptions = {}): Promise<void> {
  await writeFile(file, kubeconfigFor(server, opts), { mode: 0o600 });
}
