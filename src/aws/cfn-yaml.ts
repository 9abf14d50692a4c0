/**
 * CloudFormation YAML with the short intrinsic forms (`!Ref`, `!If`, `!Sub` ...), the way the AWS
 * documentation writes templates. Templates are built as plain objects in the long JSON form
 * (`{ Ref: "X" }`, `{ "Fn::If": [...] }`), which is also what CloudFormation accepts as a body.
 */
import { Document, isMap, isScalar, isSeq, type Node, parseDocument, Scalar, visit, YAMLMap } from "yaml";
import { UserError } from "../lib/errors.ts";
import { yamlToJs } from "../lib/yaml-input.ts";

function intrinsicName(key: string): string | undefined {
  if (key === "Ref" || key === "Condition") return key;
  if (key.startsWith("Fn::")) return key.slice(4);
  return undefined;
}

/** Comments shown above top-level keys of a section, e.g. { Resources: { DataSubnet1: "..." } }. */
export type SectionComments = Record<string, Record<string, string>>;

/** Renders a template object as YAML using the short intrinsic forms. */
export function toCfnYaml(template: object, header: string, comments: SectionComments = {}): string {
  const doc = new Document(template, { aliasDuplicateObjects: false });
  visit(doc, {
    Map(_key, node) {
      if (node.items.length !== 1) return undefined;
      const k = node.items[0]!.key;
      const name = isScalar(k) ? intrinsicName(String(k.value)) : undefined;
      // `Condition: X` inside a resource is a plain key, not the Condition function.
      if (!name || name === "Condition") return undefined;
      const value = node.items[0]!.value as Node;
      if (name === "GetAtt" && isSeq(value)) {
        const s = new Scalar(value.items.map((i) => (isScalar(i) ? i.value : "")).join("."));
        s.tag = "!GetAtt";
        return s;
      }
      value.tag = `!${name}`;
      if (isSeq(value)) value.flow = true;
      return value;
    },
  });
  const root = doc.contents as YAMLMap;
  // Quoted, as in AWS's examples: YAML 1.1 parsers (PyYAML, so the aws CLI) read it as a date otherwise.
  const version = root.get("AWSTemplateFormatVersion", true);
  if (isScalar(version)) version.type = Scalar.QUOTE_DOUBLE;
  root.items.forEach((pair, i) => {
    if (i > 0 && isScalar(pair.key)) pair.key.spaceBefore = true;
    const section = isScalar(pair.key) ? String(pair.key.value) : "";
    const notes = comments[section];
    if (notes && isMap(pair.value)) {
      pair.value.items.forEach((item, j) => {
        const name = isScalar(item.key) ? String(item.key.value) : "";
        if (notes[name] && isScalar(item.key)) {
          item.key.commentBefore = notes[name]!.split("\n")
            .map((l) => ` ${l}`)
            .join("\n");
          item.key.spaceBefore = j > 0;
        }
      });
    }
  });
  doc.commentBefore = header
    .split("\n")
    .map((l) => ` ${l}`)
    .join("\n");
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** Parses CloudFormation YAML (or JSON), turning short intrinsic forms into the long form. */
export function parseCfnYaml(text: string, source: string): Record<string, unknown> {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new UserError({
      what: `not valid YAML: ${e.message.split("\n")[0]}`,
      where: `${source}${e.linePos ? `:${e.linePos[0].line}` : ""}`,
      next: "fix the template syntax (cfn-lint shows every problem)",
    });
  }
  visit(doc, {
    Node(_key, node) {
      const tag = (node as { tag?: string }).tag;
      if (!tag?.startsWith("!")) return undefined;
      const name = tag.slice(1);
      (node as { tag?: string }).tag = undefined;
      const long = name === "Ref" || name === "Condition" ? name : `Fn::${name}`;
      let value: unknown = node;
      if (name === "GetAtt" && isScalar(node)) {
        const [res, ...attr] = String(node.value).split(".");
        value = doc.createNode([res, attr.join(".")]);
      }
      const map = new YAMLMap();
      map.set(long, value);
      return map;
    },
  });
  const data = yamlToJs(doc, source);
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new UserError({ what: "a CloudFormation template must be a mapping", where: source });
  }
  return data as Record<string, unknown>;
}
