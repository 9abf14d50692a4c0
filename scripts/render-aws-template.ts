// Renders the data-network CloudFormation template into infra/aws/cloudformation/.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { toCfnYaml } from "../src/aws/cfn-yaml.ts";
import { dataNetworkTemplate, TEMPLATE_COMMENTS, TEMPLATE_HEADER } from "../src/aws/data-network/template.ts";

const out = join(import.meta.dirname, "..", "infra", "aws", "cloudformation", "data-network.yaml");
writeFileSync(out, toCfnYaml(dataNetworkTemplate(), TEMPLATE_HEADER, TEMPLATE_COMMENTS));
console.log(`wrote ${out}`);
