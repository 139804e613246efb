# Converted from 32-keep-input-artifact.json by kiln hcl2_upgrade; review it before relying on it.
# Go template actions were translated to HCL expressions.

source "docker" "kept" {
  image       = "kiln-test/busybox:1"
  pull        = false
  export_path = "out/kept.tar"
}

source "docker" "dropped" {
  image       = "kiln-test/busybox:1"
  pull        = false
  export_path = "out/dropped.tar"
}

source "docker" "committed" {
  image  = "kiln-test/busybox:1"
  pull   = false
  commit = true
}

build {
  description = "keep_input_artifact: an export kept by one sequence and one deleted after import; a docker-save that drops its input"
  sources     = ["source.docker.kept", "source.docker.dropped", "source.docker.committed"]

  provisioner "shell" {
    inline = ["echo $PACKER_BUILD_NAME > /name.txt"]
  }

  post-processor "docker-import" {
    repository          = "kiln-it/parity-keep-input-artifact"
    tag                 = "kept"
    keep_input_artifact = true
    only                = ["docker.kept"]
  }

  post-processor "docker-import" {
    repository = "kiln-it/parity-keep-input-artifact"
    tag        = "dropped"
    only       = ["docker.dropped"]
  }

  post-processors {
    post-processor "docker-tag" {
      repository = "kiln-it/parity-keep-input-artifact"
      tags       = ["committed"]
      only       = ["docker.committed"]
    }
    post-processor "docker-save" {
      path                = "out/committed.tar"
      keep_input_artifact = false
      only                = ["docker.committed"]
    }
  }
}
