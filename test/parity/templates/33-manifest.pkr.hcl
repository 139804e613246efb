# Converted from 33-manifest.json by kiln hcl2_upgrade; review it before relying on it.
# Go template actions were translated to HCL expressions.

source "docker" "man" {
  image  = "kiln-test/busybox:1"
  pull   = false
  commit = true
}

build {
  description = "manifest post-processor after docker-tag (custom_data, strip_path) and alone (strip_time)"
  sources     = ["source.docker.man"]

  provisioner "shell" {
    inline = ["echo manifest > /manifest.txt"]
  }

  post-processors {
    post-processor "docker-tag" {
      repository = "kiln-it/parity-manifest"
      tags       = ["1"]
    }
    post-processor "manifest" {
      output     = "manifest.json"
      strip_path = true
      custom_data = {
        team = "parity"
        n    = "1"
      }
    }
  }

  post-processor "manifest" {
    output     = "manifest-stripped.json"
    strip_time = true
  }
}
