# Converted from 41-docker-push.json by kiln hcl2_upgrade; review it before relying on it.
# Go template actions were translated to HCL expressions.

variable "registry" {
  type    = string
  default = "127.0.0.1:5000"
}

source "docker" "pushed" {
  image  = "kiln-test/busybox:1"
  pull   = false
  commit = true
}

build {
  description = "docker-tag then docker-push to a local registry (plain HTTP on 127.0.0.1)"
  sources     = ["source.docker.pushed"]

  provisioner "shell" {
    inline = ["echo pushed > /pushed.txt"]
  }

  post-processors {
    post-processor "docker-tag" {
      repository = "${var.registry}/kiln-it/parity-docker-push"
      tags       = ["1.0", "latest"]
    }
    post-processor "docker-push" {}
  }
}
