/**
 * What CloudFormation's resource handlers do for each resource type the data-network template
 * uses, from the CloudFormation registry schemas (the provider definitions AWS publishes for
 * every registry type): the properties whose change replaces the resource
 * (`createOnlyProperties`), the order of a replacement (`replacementStrategy`, default
 * create_then_delete), and the IAM actions each handler calls (`handlers.*.permissions`).
 *
 * Copied from the schemas as hashicorp/terraform-provider-awscc vendors them, at commit
 * f995d4f4139602dbb9044f3108702f2a1837a872, internal/service/cloudformation/schemas/
 * AWS_EC2_<Type>.json (each schema's sourceUrl: aws-cloudformation/aws-cloudformation-resource-
 * providers-ec2). Only the fields above are copied; `list` handlers are left out (CloudFormation
 * never lists while deploying a stack).
 */

export type Handler = "create" | "read" | "update" | "delete";

export interface ResourceFacts {
  createOnly: string[];
  replacementStrategy: "create_then_delete" | "delete_then_create";
  permissions: Record<Handler, string[]>;
}

export const RESOURCE_FACTS: Record<string, ResourceFacts> = {
  "AWS::EC2::NetworkInterface": {
    createOnly: ["PrivateIpAddress", "InterfaceType", "SubnetId"],
    replacementStrategy: "create_then_delete",
    permissions: {
      create: [
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:CreateTags",
        "ec2:ModifyNetworkInterfaceAttribute",
        "ec2:ModifyPublicIpDnsNameOptions",
      ],
      read: ["ec2:DescribeNetworkInterfaces"],
      update: [
        "ec2:DescribeNetworkInterfaces",
        "ec2:ModifyNetworkInterfaceAttribute",
        "ec2:UnassignIpv6Addresses",
        "ec2:AssignIpv6Addresses",
        "ec2:DeleteTags",
        "ec2:CreateTags",
        "ec2:UnassignPrivateIpAddresses",
        "ec2:AssignPrivateIpAddresses",
        "ec2:ModifyPublicIpDnsNameOptions",
      ],
      delete: ["ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface"],
    },
  },
  "AWS::EC2::NetworkInterfaceAttachment": {
    createOnly: ["DeviceIndex", "InstanceId", "NetworkInterfaceId"],
    replacementStrategy: "delete_then_create",
    permissions: {
      create: [
        "ec2:AttachNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:ModifyNetworkInterfaceAttribute",
      ],
      read: ["ec2:DescribeNetworkInterfaces"],
      update: [
        "ec2:ModifyNetworkInterfaceAttribute",
        "ec2:DescribeNetworkInterfaces",
        "ec2:AttachNetworkInterface",
        "ec2:DetachNetworkInterface",
      ],
      delete: ["ec2:DetachNetworkInterface", "ec2:DescribeNetworkInterfaces"],
    },
  },
  "AWS::EC2::RouteTable": {
    createOnly: ["VpcId"],
    replacementStrategy: "create_then_delete",
    permissions: {
      create: ["ec2:CreateRouteTable", "ec2:CreateTags", "ec2:DescribeRouteTables"],
      read: ["ec2:DescribeRouteTables"],
      update: ["ec2:CreateTags", "ec2:DeleteTags", "ec2:DescribeRouteTables"],
      delete: ["ec2:DescribeRouteTables", "ec2:DeleteRouteTable"],
    },
  },
  "AWS::EC2::SecurityGroup": {
    createOnly: ["GroupDescription", "GroupName", "VpcId"],
    replacementStrategy: "create_then_delete",
    permissions: {
      create: [
        "ec2:CreateSecurityGroup",
        "ec2:DescribeSecurityGroups",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:CreateTags",
      ],
      read: ["ec2:DescribeSecurityGroups"],
      update: [
        "ec2:RevokeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupIngress",
        "ec2:DescribeSecurityGroups",
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
        "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
        "ec2:CreateTags",
        "ec2:DeleteTags",
      ],
      delete: ["ec2:DescribeSecurityGroups", "ec2:DeleteSecurityGroup", "ec2:DescribeInstances"],
    },
  },
  "AWS::EC2::SecurityGroupIngress": {
    createOnly: [
      "GroupName",
      "IpProtocol",
      "SourceSecurityGroupId",
      "SourcePrefixListId",
      "ToPort",
      "CidrIp",
      "SourceSecurityGroupName",
      "SourceSecurityGroupOwnerId",
      "FromPort",
      "GroupId",
      "CidrIpv6",
    ],
    replacementStrategy: "create_then_delete",
    permissions: {
      create: ["ec2:DescribeSecurityGroupRules", "ec2:AuthorizeSecurityGroupIngress"],
      read: ["ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules"],
      update: ["ec2:UpdateSecurityGroupRuleDescriptionsIngress"],
      delete: ["ec2:DescribeSecurityGroupRules", "ec2:RevokeSecurityGroupIngress"],
    },
  },
  "AWS::EC2::Subnet": {
    createOnly: [
      "VpcId",
      "AvailabilityZone",
      "AvailabilityZoneId",
      "CidrBlock",
      "OutpostArn",
      "Ipv6Native",
      "Ipv4IpamPoolId",
      "Ipv4NetmaskLength",
      "Ipv6IpamPoolId",
      "Ipv6NetmaskLength",
    ],
    replacementStrategy: "create_then_delete",
    permissions: {
      create: ["ec2:DescribeSubnets", "ec2:CreateSubnet", "ec2:CreateTags", "ec2:ModifySubnetAttribute"],
      read: ["ec2:DescribeSubnets", "ec2:DescribeNetworkAcls"],
      update: [
        "ec2:DescribeSubnets",
        "ec2:ModifySubnetAttribute",
        "ec2:CreateTags",
        "ec2:DeleteTags",
        "ec2:AssociateSubnetCidrBlock",
        "ec2:DisassociateSubnetCidrBlock",
      ],
      delete: ["ec2:DescribeSubnets", "ec2:DeleteSubnet"],
    },
  },
  "AWS::EC2::SubnetRouteTableAssociation": {
    createOnly: ["SubnetId", "RouteTableId"],
    replacementStrategy: "delete_then_create",
    permissions: {
      create: [
        "ec2:AssociateRouteTable",
        "ec2:ReplaceRouteTableAssociation",
        "ec2:DescribeSubnets",
        "ec2:DescribeRouteTables",
      ],
      read: ["ec2:DescribeRouteTables"],
      update: [],
      delete: ["ec2:DisassociateRouteTable", "ec2:DescribeSubnets", "ec2:DescribeRouteTables"],
    },
  },
};
