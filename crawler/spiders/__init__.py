"""Spiders. One generic spider reads the portal registry; per-CMS knowledge lives in crawler.lists."""
