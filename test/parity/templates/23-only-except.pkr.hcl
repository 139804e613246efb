# Converted from 23-only-except.json by kiln hcl2_upgrade; review it before relying on it.
# Go template actions were translated to HCL expressions.

source "docker" "a" {
  image  = "kiln-test/busybox:1"
  pull   = false
  commit = true
}

source "docker" "b" {
  image  = "kiln-test/busybox:1"
  pull   = false
  commit = true
}

source "docker" "c" {
  image  = "kiln-test/busybox:1"
  pull   = false
  commit = true
}

build {
  description = "three builders; provisioner and post-processor only/except; -except on the command line"
  sources     = ["source.docker.a", "source.docker.b", "source.docker.c"]

  provisioner "shell" {
    inline = ["echo everyone > /all.txt"]
  }

  provisioner "shell" {
    inline = ["echo only-a > /only.txt"]
    only   = ["docker.a"]
  }

  provisioner "shell" {
    inline = ["echo except-a > /except.txt"]
    except = ["docker.a"]
  }

  post-processor "docker-tag" {
    repository = "kiln-it/parity-only-except"
    tags       = ["b"]
    only       = ["docker.b"]
  }

  post-processor "docker-tag" {
    repository = "kiln-it/parity-only-except"
    tags       = ["not-b"]
    except     = ["docker.b"]
  }
}
