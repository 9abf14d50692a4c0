import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, rename, rm, stat, writeFile } from "node:fs/promises";
import { arch as osArch, platform as osPlatform } from "node:os";
import { join, relative, resolve } from "node:path";
import { expectedChecksum, releaseAsset } from "../bench/install.ts";
import type { Context } from "../lib/context.ts";
import { EnvironmentError, UserError } from "../lib/errors.ts";

export interface BenchInstallOptions {
  dir?: string;
  release?: string;
  baseUrl?: string;
  force?: boolean;
  /** For tests: the platform to install for. */
  platform?: string;
  arch?: string;
}

async function download(url: string, what: string): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: "follow" });
  } catch (e) {
    throw new EnvironmentError({
      what: `cannot download ${what}: ${(e as Error).cause ?? (e as Error).message}`,
      where: url,
      next: "check the network or proxy (HTTPS_PROXY), or pass --base-url for a mirror",
    });
  }
  if (!res.ok) {
    throw new EnvironmentError({
      what: `cannot download ${what}: HTTP ${res.status}`,
      where: url,
      next:
        res.status === 404
          ? "check --release: that release or platform may not exist"
          : "try again later or use --base-url",
    });
  }
  return Buffer.from(await res.arrayBuffer());
}

export async function run(opts: BenchInstallOptions, ctx: Context): Promise<number> {
  const asset = releaseAsset(
    opts.platform ?? osPlatform(),
    opts.arch ?? osArch(),
    opts.release,
    opts.baseUrl ?? ctx.env.LLW_KUBE_BURNER_BASE_URL,
  );
  const dir = resolve(ctx.cwd, opts.dir ?? ".tools/bin");
  const target = join(dir, "kube-burner");
  if ((await stat(target).catch(() => undefined)) && !opts.force) {
    throw new UserError({
      what: "kube-burner is already installed",
      where: relative(ctx.cwd, target) || target,
      next: "add --force to replace it",
    });
  }
  ctx.stderr.write(`downloading ${asset.archiveUrl}\n`);
  const [archive, sums] = await Promise.all([
    download(asset.archiveUrl, asset.archive),
    download(asset.checksumsUrl, "the release checksums"),
  ]);
  const want = expectedChecksum(sums.toString("utf8"), asset.archive);
  if (!want) {
    throw new EnvironmentError({
      what: `the release checksums list no ${asset.archive}`,
      where: asset.checksumsUrl,
      next: "the release may be incomplete; try another --release",
    });
  }
  const got = createHash("sha256").update(archive).digest("hex");
  if (got !== want) {
    throw new EnvironmentError({
      what: `checksum mismatch for ${asset.archive}: expected ${want}, got ${got}`,
      where: asset.archiveUrl,
      next: "the download is corrupt or was tampered with; nothing was installed. Try again or use another mirror",
    });
  }
  await mkdir(dir, { recursive: true });
  const tmp = await mkdtemp(join(dir, ".kube-burner-"));
  try {
    const archiveFile = join(tmp, asset.archive);
    await writeFile(archiveFile, archive);
    const tar = await import("tar");
    await tar.x({ file: archiveFile, cwd: tmp, filter: (p) => p.replace(/^\.\//, "") === "kube-burner" });
    const bin = join(tmp, "kube-burner");
    if (!(await stat(bin).catch(() => undefined))) {
      throw new EnvironmentError({
        what: `${asset.archive} holds no kube-burner binary`,
        where: asset.archiveUrl,
      });
    }
    await chmod(bin, 0o755);
    await rename(bin, target);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  ctx.stdout.write(
    `installed kube-burner ${asset.version} (sha256 ${got.slice(0, 16)}…) at ${relative(ctx.cwd, target) || target}\n`,
  );
  return 0;
}
