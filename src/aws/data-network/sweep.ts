/**
 * Sweeping what a stack left behind: after a failed create in the EC2 emulator (which runs
 * resources inside CreateStack) or a delete, everything still tagged with the stack is removed,
 * ENIs first (detached), then subnets, route tables and security groups.
 */
import {
  DeleteNetworkInterfaceCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
} from "@aws-sdk/client-ec2";
import { ec2Call } from "../ec2.ts";
import { call, detachEnis, type Ec2Io } from "./ec2-side.ts";

/**
 * Deletes what still carries a stack's tag after the stack is gone (ENIs first, then subnets,
 * route tables, security groups). With real CloudFormation there is normally nothing to do.
 */
export async function sweepStackLeftovers(io: Ec2Io, tag: { key: string; value: string }): Promise<string[]> {
  const filter = [{ Name: `tag:${tag.key}`, Values: [tag.value] }];
  const removed: string[] = [];
  const enis =
    (
      await ec2Call(
        () => io.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: filter })),
        call(io, "DescribeNetworkInterfaces"),
      )
    ).NetworkInterfaces ?? [];
  await detachEnis(
    io,
    enis.map((n) => n.NetworkInterfaceId!),
  );
  for (const n of enis) {
    await ec2Call(
      () => io.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: n.NetworkInterfaceId })),
      call(io, "DeleteNetworkInterface"),
    );
    removed.push(n.NetworkInterfaceId!);
  }
  const subnets =
    (
      await ec2Call(
        () => io.ec2.send(new DescribeSubnetsCommand({ Filters: filter })),
        call(io, "DescribeSubnets"),
      )
    ).Subnets ?? [];
  for (const s of subnets) {
    await ec2Call(
      () => io.ec2.send(new DeleteSubnetCommand({ SubnetId: s.SubnetId })),
      call(io, "DeleteSubnet"),
    );
    removed.push(s.SubnetId!);
  }
  const rts =
    (
      await ec2Call(
        () => io.ec2.send(new DescribeRouteTablesCommand({ Filters: filter })),
        call(io, "DescribeRouteTables"),
      )
    ).RouteTables ?? [];
  for (const rt of rts) {
    await ec2Call(
      () => io.ec2.send(new DeleteRouteTableCommand({ RouteTableId: rt.RouteTableId })),
      call(io, "DeleteRouteTable"),
    );
    removed.push(rt.RouteTableId!);
  }
  const sgs =
    (
      await ec2Call(
        () => io.ec2.send(new DescribeSecurityGroupsCommand({ Filters: filter })),
        call(io, "DescribeSecurityGroups"),
      )
    ).SecurityGroups ?? [];
  for (const sg of sgs) {
    await ec2Call(
      () => io.ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg.GroupId })),
      call(io, "DeleteSecurityGroup"),
    );
    removed.push(sg.GroupId!);
  }
  return removed;
}
