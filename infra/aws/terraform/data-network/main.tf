# Low-latency workshop: data network for SR-IOV on AWS (one extra ENI = one ENA "VF").
# The same resources, inputs, outputs and security-group rules as
# infra/aws/cloudformation/data-network.yaml. Terraform loops natively, so there are no fixed slots
# here: every resource is keyed by its zone or by "<instance id>/<device index>", never by its
# position in a list, so removing a zone or a worker changes only that zone's or worker's resources.

locals {
  # No kubernetes.io/cluster/<infra id> tag: the AWS cloud provider would take the data subnets for
  # load-balancer subnets and the data security group for a second cluster security group.
  tags = {
    "llw:infra-id" = var.cluster_infra_id
  }
  # One entry per worker and interface: "<instance id>/<device index>".
  interfaces = {
    for pair in setproduct(range(length(var.worker_instance_ids)), range(1, var.interfaces_per_worker + 1)) :
    "${var.worker_instance_ids[pair[0]]}/${pair[1]}" => {
      instance_id  = var.worker_instance_ids[pair[0]]
      zone         = var.worker_zones[pair[0]]
      device_index = pair[1]
    }
  }
  subnet_cidr_by_zone = zipmap(var.availability_zones, var.subnet_cidrs)
}

# Data traffic stays between the data subnets: ingress from them and egress to them only
# (aws_security_group removes the allow-all egress EC2 gives a new group; nothing adds it back).
resource "aws_security_group" "data" {
  name_prefix = "${var.cluster_infra_id}-data-"
  description = "Data traffic between the workshop metal workers (SR-IOV / ENA data interfaces)"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.cluster_infra_id}-data", "llw:role" = "data-security-group" })

  lifecycle {
    precondition {
      condition     = length(var.subnet_cidrs) == length(var.availability_zones)
      error_message = "subnet_cidrs needs one CIDR per availability zone."
    }
    precondition {
      condition     = length(var.worker_zones) == length(var.worker_instance_ids) && alltrue([for z in var.worker_zones : contains(var.availability_zones, z)])
      error_message = "worker_zones needs one zone per worker, each one of availability_zones."
    }
  }
}

resource "aws_vpc_security_group_ingress_rule" "data" {
  for_each          = local.subnet_cidr_by_zone
  security_group_id = aws_security_group.data.id
  ip_protocol       = "-1"
  cidr_ipv4         = each.value
  description       = "All traffic from the data subnet in ${each.key}"
}

# Security groups do not filter the VPC's DHCP, DNS resolver or instance metadata: nothing else is needed.
resource "aws_vpc_security_group_egress_rule" "data" {
  for_each          = local.subnet_cidr_by_zone
  security_group_id = aws_security_group.data.id
  ip_protocol       = "-1"
  cidr_ipv4         = each.value
  description       = "All traffic to the data subnet in ${each.key}"
}

# Local routes only: the data subnets are private, never chosen for internet-facing load balancers.
resource "aws_route_table" "data" {
  vpc_id = var.vpc_id
  tags   = merge(local.tags, { Name = "${var.cluster_infra_id}-data", "llw:role" = "data-route-table" })
}

resource "aws_subnet" "data" {
  for_each                = local.subnet_cidr_by_zone
  vpc_id                  = var.vpc_id
  availability_zone       = each.key
  cidr_block              = each.value
  map_public_ip_on_launch = false
  tags                    = merge(local.tags, { Name = "${var.cluster_infra_id}-data-${each.key}", "llw:role" = "data-subnet" })
}

resource "aws_route_table_association" "data" {
  for_each       = aws_subnet.data
  subnet_id      = each.value.id
  route_table_id = aws_route_table.data.id
}

# Source/destination checks stay on: pods (host-device) and DPDK use the ENI's own MAC and addresses.
resource "aws_network_interface" "data" {
  for_each        = local.interfaces
  description     = "Workshop data interface ${each.value.device_index} of ${each.value.instance_id}"
  subnet_id       = aws_subnet.data[each.value.zone].id
  security_groups = [aws_security_group.data.id]
  tags            = merge(local.tags, { Name = "${var.cluster_infra_id}-data-${each.value.instance_id}-${each.value.device_index}", "llw:role" = "data-interface" })
}

# Device index 1 and up: index 0 is the worker's primary ENI (the cluster network), never touched.
resource "aws_network_interface_attachment" "data" {
  for_each             = var.attach_interfaces ? local.interfaces : {}
  instance_id          = each.value.instance_id
  network_interface_id = aws_network_interface.data[each.key].id
  device_index         = each.value.device_index
}
