# Low-latency workshop: data network for SR-IOV on AWS (one extra ENI = one ENA "VF").
# The same resources, inputs and outputs as infra/aws/cloudformation/data-network.yaml; Terraform
# loops natively, so there are no fixed slots here.

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
  subnet_by_zone = { for i, zone in var.availability_zones : zone => aws_subnet.data[i].id }
}

# Data traffic stays between the data subnets.
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
  count             = length(var.availability_zones)
  security_group_id = aws_security_group.data.id
  ip_protocol       = "-1"
  cidr_ipv4         = var.subnet_cidrs[count.index]
  description       = "All traffic from data subnet ${count.index + 1}"
}

# CloudFormation keeps the allow-all egress rules AWS gives every new security group (IPv4 and
# IPv6); Terraform's aws_security_group removes them. Declare them so both deploy the same rules.
resource "aws_vpc_security_group_egress_rule" "all_ipv4" {
  security_group_id = aws_security_group.data.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
  description       = "All outbound IPv4 traffic (the rule AWS adds to every new security group)"
}

resource "aws_vpc_security_group_egress_rule" "all_ipv6" {
  security_group_id = aws_security_group.data.id
  ip_protocol       = "-1"
  cidr_ipv6         = "::/0"
  description       = "All outbound IPv6 traffic (the rule AWS adds to every new security group)"
}

# Local routes only: the data subnets are private, never chosen for internet-facing load balancers.
resource "aws_route_table" "data" {
  vpc_id = var.vpc_id
  tags   = merge(local.tags, { Name = "${var.cluster_infra_id}-data", "llw:role" = "data-route-table" })
}

resource "aws_subnet" "data" {
  count                   = length(var.availability_zones)
  vpc_id                  = var.vpc_id
  availability_zone       = var.availability_zones[count.index]
  cidr_block              = var.subnet_cidrs[count.index]
  map_public_ip_on_launch = false
  tags                    = merge(local.tags, { Name = "${var.cluster_infra_id}-data-${var.availability_zones[count.index]}", "llw:role" = "data-subnet" })
}

resource "aws_route_table_association" "data" {
  count          = length(var.availability_zones)
  subnet_id      = aws_subnet.data[count.index].id
  route_table_id = aws_route_table.data.id
}

# Source/destination checks are off so that DPDK and VM workloads may use addresses other than the ENI's own.
resource "aws_network_interface" "data" {
  for_each          = local.interfaces
  description       = "Workshop data interface ${each.value.device_index} of ${each.value.instance_id}"
  subnet_id         = local.subnet_by_zone[each.value.zone]
  security_groups   = [aws_security_group.data.id]
  source_dest_check = false
  tags              = merge(local.tags, { Name = "${var.cluster_infra_id}-data-${each.value.instance_id}-${each.value.device_index}", "llw:role" = "data-interface" })
}

# Device index 1 and up: index 0 is the worker's primary ENI (the cluster network), never touched.
resource "aws_network_interface_attachment" "data" {
  for_each             = var.attach_interfaces ? local.interfaces : {}
  instance_id          = each.value.instance_id
  network_interface_id = aws_network_interface.data[each.key].id
  device_index         = each.value.device_index
}
