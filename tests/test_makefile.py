"""The images a Makefile's `kustomize edit set image` recipes replace (read as text, never run)."""

from __future__ import annotations

from relcheck.parsers.makefile import images_set, unrestricted_builds


def test_the_names_each_set_image_recipe_replaces_with_their_lines() -> None:
    text = (
        "IMG ?= controller:latest\n"
        "deploy:\n"
        "\tcd config/manager && $(KUSTOMIZE) edit set image controller=${IMG}\n"
        "release:\n"
        "\tcd config/ui && kustomize edit set image backend=$(REG)/backend:$(TAG) frontend:v1=$(REG)/frontend\n"
        "\t${KUSTOMIZE} edit set image manager@sha256:abc=$(REGISTRY)/operator@$(DIGEST); echo done\n"
    )
    assert images_set(text) == [("controller", 3), ("backend", 5), ("frontend", 5), ("manager", 6)]


def test_other_kustomize_edits_and_variables_are_no_image_names() -> None:
    text = (
        "\tkustomize edit set namespace prod\n"
        "\tkustomize edit set image $(NAME)=$(IMG)\n"  # a name only make knows: nothing to match
        "\tkubectl set image deployment/api api=registry/api:1.2\n"  # sets a live object, not a manifest
    )
    assert images_set(text) == []


def test_the_overlays_a_recipe_builds_without_the_load_restrictor() -> None:
    """NGINX's ingress controller's Makefile and kubebuilder's habits: the folder is from the
    repository's root (a recipe runs in the Makefile's folder); one named through a variable, one
    above the repository and a build with the restrictor are not listed."""
    text = (
        "crds:\n"
        "\tkustomize build config/crd/app-protect-dos --load-restrictor='LoadRestrictionsNone' >out.yaml\n"
        "\t$(KUSTOMIZE) build --load-restrictor LoadRestrictionsNone ./config/default | kubectl apply -f -\n"
        "\tkubectl kustomize --load-restrictor=LoadRestrictionsNone $(OVERLAY)\n"
        "\tkustomize build config/other > other.yaml\n"
        "\tkustomize build -o all.yaml --load-restrictor LoadRestrictionsNone \\\n\t  ../../outside\n"
        "\tkustomize build --load-restrictor LoadRestrictionsNone\n"
    )
    assert unrestricted_builds(text, "deploy") == [
        "deploy/config/crd/app-protect-dos", "deploy/config/default", "deploy"
    ]
    assert unrestricted_builds(text, "") == ["config/crd/app-protect-dos", "config/default", ""]
    assert unrestricted_builds("\tkustomize build config/default\n", "") == []
