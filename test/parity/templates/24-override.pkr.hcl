# Converted from 24-override.json by kiln hcl2_upgrade; review it before relying on it.
# Go template actions were translated to HCL expressions.

source "docker" "x" {
  image  = "kiln-test/busybox:1"
  pull   = false
  commit = true
}

source "docker" "y" {
  image  = "kiln-test/busybox:1"
  pull   = false
  commit = true
}

source "docker" "skipped" {
  image  = "kiln-test/busybox:1"
  pull   = false
  commit = true
}

build {
  description = "provisioner override per builder; -only on the command line"
  sources     = ["source.docker.x", "source.docker.y", "source.docker.skipped"]

  provisioner "shell" {
    inline           = ["echo \"default $VALUE\" > /which.txt"]
    environment_vars = ["VALUE=plain"]
    override = {
      x = {
        inline = ["echo \"overridden for x $VALUE\" > /which.txt"]
      }
      y = {
        environment_vars = ["VALUE=for-y"]
      }
    }
  }
}
