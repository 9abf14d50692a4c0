variable "cluster_infra_id" {
  description = "The cluster's infrastructure id (metadata.json infraID; the suffix of its kubernetes.io/cluster/ tag)."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", var.cluster_infra_id)) && length(var.cluster_infra_id) <= 40
    error_message = "cluster_infra_id must be lower-case letters, digits and dashes, at most 40 characters."
  }
}

variable "vpc_id" {
  description = "The cluster's VPC."
  type        = string
}

variable "availability_zones" {
  description = "Availability zones that get a data subnet (those of the metal workers)."
  type        = list(string)
  validation {
    condition     = length(var.availability_zones) >= 1 && length(var.availability_zones) <= 3 && length(distinct(var.availability_zones)) == length(var.availability_zones) && alltrue([for z in var.availability_zones : can(regex("^[a-z]{2}(-[a-z0-9]+)+-[0-9]+[a-z]$", z))])
    error_message = "Give one to three distinct availability zone names, e.g. us-east-2a, us-gov-west-1a or us-east-1-bos-1a (the CloudFormation template has three zone slots)."
  }
}

variable "subnet_cidrs" {
  description = "IPv4 CIDR of each data subnet, in the order of availability_zones, inside the VPC and clear of its other subnets."
  type        = list(string)
  validation {
    condition     = alltrue([for c in var.subnet_cidrs : can(cidrhost(c, 0))])
    error_message = "Every subnet_cidrs entry must be an IPv4 CIDR block."
  }
}

variable "worker_instance_ids" {
  description = "Instance ids of the metal workers that get data interfaces."
  type        = list(string)
  validation {
    condition     = length(var.worker_instance_ids) >= 1 && length(var.worker_instance_ids) <= 4 && alltrue([for i in var.worker_instance_ids : can(regex("^i-[0-9a-f]{8,17}$", i))])
    error_message = "Give one to four instance ids (i-...)."
  }
}

variable "worker_zones" {
  description = "Availability zone of each metal worker, in the order of worker_instance_ids; each must be in availability_zones."
  type        = list(string)
}

variable "interfaces_per_worker" {
  description = "Extra ENIs per metal worker, attached at device index 1 and up."
  type        = number
  default     = 1
  validation {
    condition     = var.interfaces_per_worker >= 1 && var.interfaces_per_worker <= 4
    error_message = "interfaces_per_worker must be 1 to 4."
  }
}

variable "attach_interfaces" {
  description = "true: attach the ENIs here; false: only create them (llw aws network up --attach-with ec2 attaches them)."
  type        = bool
  default     = true
}
