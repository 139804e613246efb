# Converted from 44-unsupported-builder-excluded.json by kiln hcl2_upgrade; review it before relying on it.
# Go template actions were translated to HCL expressions.
# {{timestamp}} became local.timestamp: a compact UTC date-time, not Unix seconds.

locals {
  timestamp = regex_replace(timestamp(), "[- TZ:]", "")
}

source "docker" "deb" {
  image  = "kiln-test/busybox:1"
  pull   = false
  commit = true
}

source "amazon-ebs" "ami" {
  region        = "us-east-1"
  source_ami    = "ami-0123456789abcdef0"
  instance_type = "t3.micro"
  ssh_username  = "admin"
  ami_name      = "parity-unsupported-${local.timestamp}"
}

build {
  description = "-only leaves out a builder kiln does not implement (amazon-ebs): kiln warns and builds the docker one, as Packer builds only what it runs"
  sources     = ["source.docker.deb", "source.amazon-ebs.ami"]

  provisioner "shell" {
    inline = ["sleep 30"]
    only   = ["amazon-ebs.ami"]
  }

  provisioner "shell" {
    inline = ["echo built > /built.txt"]
    override = {
      ami = {
        execute_command = "sudo sh -c '{{ .Vars }} {{ .Path }}'"
      }
    }
  }

  post-processor "docker-tag" {
    repository = "kiln-it/parity-unsupported-builder-excluded"
    tags       = ["deb"]
    only       = ["docker.deb"]
  }
}
