output "security_group_id" {
  description = "Security group of the data interfaces"
  value       = aws_security_group.data.id
}

output "subnet_ids" {
  description = "Data subnet id by availability zone (SR-IOV netFilter aws/NetworkID:<id without subnet->)"
  value       = { for zone, subnet in aws_subnet.data : zone => subnet.id }
}

output "network_interface_ids" {
  description = "ENI id by \"<instance id>/<device index>\""
  value       = { for k, eni in aws_network_interface.data : k => eni.id }
}
