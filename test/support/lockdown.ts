import { docker } from "@repo/testing";

/**
 * What root sees inside a running container locked down as the apps' Kubernetes pods are: a write
 * to its root filesystem refused, one to /tmp taken, and the capabilities its main process holds.
 */
export async function seenByRoot(container: string): Promise<string> {
  const script = "touch /etc/x 2>&1; touch /tmp/x && echo tmp ok; grep '^CapEff' /proc/1/status";
  return (await docker(["exec", "--user", "root", container, "sh", "-c", script])).stdout;
}

/** `seenByRoot` of a container so locked down: read-only but for /tmp, no capability. */
export const LOCKED_DOWN = /Read-only file system\ntmp ok\nCapEff:\s+0+\s*$/;
