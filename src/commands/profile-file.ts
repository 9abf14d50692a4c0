import type { Context } from "../lib/context.ts";
import { parseCpuList } from "../lib/cpuset.ts";
import { UserError } from "../lib/errors.ts";
import type { ProfileCpus } from "../results/node-cpu.ts";

/** The PerformanceProfiles of a YAML file (or kustomization), as CPU sets to split CPU use by. */
export async function profilesFromFile(path: string, ctx: Context): Promise<ProfileCpus[]> {
  const { loadManifests } = await import("../cluster/manifests.ts");
  const objects = await loadManifests([path], ctx.cwd, ctx.env);
  const out: ProfileCpus[] = [];
  for (const { object: o, source } of objects) {
    if (o.kind !== "PerformanceProfile") continue;
    const cpu = (o.spec as { cpu?: { reserved?: unknown; isolated?: unknown } } | undefined)?.cpu;
    if (typeof cpu?.reserved !== "string" || typeof cpu?.isolated !== "string") {
      throw new UserError({
        what: "PerformanceProfile without spec.cpu.reserved and spec.cpu.isolated",
        where: source,
      });
    }
    out.push({
      name: String(o.metadata?.name ?? ""),
      reserved: parseCpuList(cpu.reserved, `${source} spec.cpu.reserved`),
      isolated: parseCpuList(cpu.isolated, `${source} spec.cpu.isolated`),
      nodeSelector: (o.spec as { nodeSelector?: Record<string, string> }).nodeSelector,
    });
  }
  if (!out.length) {
    throw new UserError({
      what: "no PerformanceProfile in the file",
      where: path,
      next: "pass a PerformanceProfile, e.g. gitops/overlays/aws/performance-profiles/c5.metal.yaml",
    });
  }
  return out;
}
